/* Anvil's waveform reader: the values pass of oracle/vcd.py's _read, in C (see oracle/vcdfast.py).
 *
 * The runner reads the waveform of every choice of a schema in its one Python process, and that
 * reading was most of its time. This is the same pass over the same lines with the same rules,
 * for the waveforms Icarus writes: any line it does not know to read exactly as the Python reader
 * would (a value or code with unexpected characters, a scalar for a vector, a real, a timestamp
 * that is not plain digits) makes it answer UNSURE, and the caller reads the file in Python.
 *
 * Lines end at \n, \r\n or \r (Python's universal newlines). A timestamp line takes the sample of
 * the previous timestamp when a change of the clock in it was an edge (from the clock's value
 * before it; the last such change decides), then applies that timestamp's changes; the end of
 * the file is read as one more timestamp. Only the codes the caller names are kept.
 *
 * Results: the agreement figures (samples, last sample, first wrong sample, each compared
 * output's wrong samples and bits, kept by change) and, for the failing entries and the trace,
 * the rows the Python reader's _Failures would be given: up to `window` samples with nothing
 * wrong before the first failing one, then the failing ones, until `limit` failing entries; one
 * text line each, "<B|K> time cycle <p|n> value..." ("-": not dumped yet).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OK = 0, UNSURE = 1, CUT = 2, FAILED = 3, SMALL = 4 };
enum { FIG_SAMPLES, FIG_LAST, FIG_FIRST, FIG_FIRST_TIME, FIG_FIRST_CYCLE, FIG_FOUND, FIG_ROWS, FIGS };

typedef struct {
    int width;
    int present;
    int compared; /* a compared output's reference or design: a change of it, the agreement again */
    char *value; /* width characters, [01xz] */
} Var;

typedef struct {
    uint64_t key; /* the code's bytes, packed; 0: empty slot */
    int index;
} Slot;

typedef struct {
    Var *vars;
    int nvars;
    Slot *table;
    uint64_t mask;
    int clock;
    int npairs;
    const int *pairs; /* ref, dut indices */
    long long *wrong, *since, *outputs; /* outputs: per pair, wrong samples then wrong bits */
    int bad;
    int *changed; /* indices changed at this timestamp, in order */
    int nchanged, cap_changed;
    char *pool; /* values of the changes pending */
    size_t pool_used, pool_cap;
} State;

static uint64_t pack(const char *code, size_t n)
{
    uint64_t key = 0;
    for (size_t i = 0; i < n; i++) key = (key << 8) | (unsigned char)code[i];
    return key;
}

static int lookup(const State *s, uint64_t key)
{
    for (uint64_t h = (key * 0x9E3779B97F4A7C15ull) >> 40;; h++) {
        const Slot *slot = &s->table[h & s->mask];
        if (slot->key == 0) return -1;
        if (slot->key == key) return slot->index;
    }
}

static long long wrong_bits(const char *expected, const char *actual, int width)
{
    long long n = 0;
    for (int i = 0; i < width; i++)
        if ((expected[i] == '0' || expected[i] == '1') && actual[i] != expected[i]) n++;
    return n;
}

static const char *value_of(const State *s, int index, char *unknown)
{
    return s->vars[index].present ? s->vars[index].value : unknown;
}

static void close_output(State *s, int k, long long samples)
{
    long long held = s->wrong[k], span = samples - s->since[k];
    if (held && span) {
        s->outputs[2 * k] += span;
        s->outputs[2 * k + 1] += span * held;
    }
    s->since[k] = samples;
}

static void changed_outputs(State *s, long long samples, char *unknown)
{
    for (int k = 0; k < s->npairs; k++) {
        int r = s->pairs[2 * k], d = s->pairs[2 * k + 1];
        long long w = wrong_bits(value_of(s, r, unknown), value_of(s, d, unknown), s->vars[r].width);
        long long held = s->wrong[k];
        if (w != held) {
            close_output(s, k, samples);
            s->wrong[k] = w;
            s->bad += (w > 0) - (held > 0);
        }
    }
}

/* a row as text into out (at most room bytes); its length, or -1 when it does not fit */
static long row(const State *s, char *out, long room, char kind, long long at, long long cycle, char edge,
                const int *order, int norder)
{
    char head[80];
    int n = snprintf(head, sizeof head, "%c %lld %lld %c", kind, at, cycle, edge);
    if (n >= room) return -1;
    memcpy(out, head, n);
    long used = n;
    for (int i = 0; i < norder; i++) {
        const Var *v = &s->vars[order[i]];
        long need = 1 + (v->present ? v->width : 1);
        if (used + need + 1 > room) return -1;
        out[used++] = ' ';
        if (v->present) {
            memcpy(out + used, v->value, v->width);
            used += v->width;
        } else {
            out[used++] = '-';
        }
    }
    out[used++] = '\n';
    return used;
}

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* room for one more change of `width` characters: where its value goes, or NULL */
static char *reserve(State *s, int width)
{
    if (s->nchanged == s->cap_changed) {
        int cap = s->cap_changed ? 2 * s->cap_changed : 64;
        int *c = realloc(s->changed, cap * sizeof *c);
        if (!c) return NULL;
        s->changed = c;
        s->cap_changed = cap;
    }
    if (s->pool_used + width > s->pool_cap) {
        size_t cap = s->pool_cap ? 2 * s->pool_cap : 4096;
        while (cap < s->pool_used + width) cap *= 2;
        char *p = realloc(s->pool, cap);
        if (!p) return NULL;
        s->pool = p;
        s->pool_cap = cap;
    }
    return s->pool + s->pool_used;
}

/* Read the values of `path` from byte `offset`. codes: ncodes codes separated by '\n' (each at
 * most 8 bytes), widths: theirs; clock: an index or -1; pairs: npairs (ref, dut) indices; order:
 * the indices a row holds. figures: FIGS numbers; outputs: 2 per pair. rows: the rows' text,
 * at most rows_size bytes. until: a CLOCK_MONOTONIC time past which reading stops (CUT), or < 0. */
int anvil_vcd_read(const char *path, long offset, const char *codes, int ncodes, const int *widths, int clock,
                   const int *pairs, int npairs, const int *order, int norder, int limit, int window, int whole,
                   double until, long long *figures, long long *outputs, char *rows, long rows_size)
{
    int status = FAILED;
    State s;
    memset(&s, 0, sizeof s);
    FILE *f = NULL;
    char *buf = NULL, *ring = NULL, *unknown = NULL;
    long *ring_len = NULL;
    long rowmax = 0;
    int maxwidth = 1;

    s.nvars = ncodes;
    s.clock = clock;
    s.pairs = pairs;
    s.npairs = npairs;
    s.vars = calloc(ncodes ? ncodes : 1, sizeof *s.vars);
    uint64_t size = 16;
    while (size < 4 * (uint64_t)(ncodes + 1)) size *= 2;
    s.table = calloc(size, sizeof *s.table);
    s.mask = size - 1;
    s.wrong = calloc(npairs + 1, sizeof *s.wrong);
    s.since = calloc(npairs + 1, sizeof *s.since);
    s.outputs = outputs;
    if (!s.vars || !s.table || !s.wrong || !s.since) goto done;
    const char *c = codes;
    for (int i = 0; i < ncodes; i++) {
        const char *end = strchr(c, '\n');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n == 0 || n > 8 || widths[i] < 1) {
            status = UNSURE;
            goto done;
        }
        uint64_t key = pack(c, n);
        for (uint64_t h = (key * 0x9E3779B97F4A7C15ull) >> 40;; h++) {
            Slot *slot = &s.table[h & s.mask];
            if (slot->key == key) break; /* the same code twice: one variable */
            if (slot->key == 0) {
                slot->key = key;
                slot->index = i;
                break;
            }
        }
        s.vars[i].width = widths[i];
        s.vars[i].value = malloc(widths[i]);
        if (!s.vars[i].value) goto done;
        if (widths[i] > maxwidth) maxwidth = widths[i];
        c = end ? end + 1 : c + n;
    }
    if (clock >= 0 && s.vars[clock].width != 1) {
        status = UNSURE;
        goto done;
    }
    for (int i = 0; i < 2 * npairs; i++) {
        outputs[i] = 0;
        s.vars[pairs[i]].compared = 1;
    }
    unknown = malloc(maxwidth);
    if (!unknown) goto done;
    memset(unknown, 'x', maxwidth);
    rowmax = 100;
    for (int i = 0; i < norder; i++) rowmax += 1 + s.vars[order[i]].width;
    if (window > 0) {
        ring = malloc((size_t)window * rowmax);
        ring_len = calloc(window, sizeof *ring_len);
        if (!ring || !ring_len) goto done;
    }

    f = fopen(path, "rb");
    if (!f || fseek(f, offset, SEEK_SET) != 0) goto done;
    const size_t BLOCK = 1 << 16;
    buf = malloc(BLOCK + 1);
    if (!buf) goto done;

    long long time_now = 0, posedges = 0, samples = 0, last = 0, first_time = 0, first_cycle = 0;
    int has_first = 0;
    char before = 'x', edge = 0;
    int looking = limit > 0;
    long long found = 0;
    int ring_start = 0, ring_count = 0;
    long rows_used = 0;
    /* a line may cross blocks: carried over in `line` */
    char *line = malloc(256);
    size_t line_cap = 256, line_len = 0;
    if (!line) goto done;
    int ended = 0, skip_lf = 0;
    size_t got = 0, pos = 0;

    while (!ended) {
        /* the next line into line/line_len; at the end of the file a closing "#0" */
        line_len = 0;
        int have = 0;
        for (;;) {
            if (pos == got) {
                got = fread(buf, 1, BLOCK, f);
                pos = 0;
                if (got == 0) break;
                if (until >= 0 && monotonic() > until) {
                    status = CUT;
                    goto finish;
                }
            }
            char ch = buf[pos++];
            if (skip_lf) {
                skip_lf = 0;
                if (ch == '\n') continue;
            }
            if (ch == '\n' || ch == '\r') {
                if (ch == '\r') skip_lf = 1;
                have = 1;
                break;
            }
            if (line_len + 1 >= line_cap) {
                char *bigger = realloc(line, 2 * line_cap);
                if (!bigger) goto finish_failed;
                line = bigger;
                line_cap *= 2;
            }
            line[line_len++] = ch;
            have = 1;
        }
        if (!have) {
            ended = 1;
            memcpy(line, "#0", 2);
            line_len = 2;
        }
        if (line_len == 0) continue; /* an empty line: no head, nothing */
        char head = line[0];
        if (head == '#') {
            if (edge) {
                if (looking) {
                    int bad = s.bad > 0;
                    if (!bad && found == 0) {
                        if (window > 0) {
                            int slot = (ring_start + ring_count) % window;
                            if (ring_count == window) ring_start = (ring_start + 1) % window;
                            else ring_count++;
                            ring_len[slot] = row(&s, ring + (size_t)slot * rowmax, rowmax, 'K', time_now, posedges,
                                                 edge, order, norder);
                        }
                    } else if (bad) {
                        if (found == 0) {
                            for (int i = 0; i < ring_count; i++) {
                                int slot = (ring_start + i) % window;
                                if (ring_len[slot] < 0 || rows_used + ring_len[slot] > rows_size) goto small;
                                memcpy(rows + rows_used, ring + (size_t)slot * rowmax, ring_len[slot]);
                                rows_used += ring_len[slot];
                            }
                        }
                        long n = row(&s, rows + rows_used, rows_size - rows_used, 'B', time_now, posedges, edge,
                                     order, norder);
                        if (n < 0) goto small;
                        rows_used += n;
                        for (int k = 0; k < s.npairs; k++)
                            if (s.wrong[k] > 0) found++;
                        if (found >= limit) {
                            looking = 0;
                            if (!whole) {
                                status = OK;
                                goto finish;
                            }
                        }
                    }
                }
                if (whole) {
                    samples++;
                    last = time_now;
                    if (!has_first && s.bad) {
                        has_first = 1;
                        first_time = time_now;
                        first_cycle = posedges;
                    }
                }
                if (edge == 'p') posedges++;
                edge = 0;
            }
            if (s.nchanged) {
                int touched = 0;
                size_t at = 0;
                for (int i = 0; i < s.nchanged; i++) {
                    Var *v = &s.vars[s.changed[i]];
                    memcpy(v->value, s.pool + at, v->width);
                    at += v->width;
                    v->present = 1;
                    touched |= v->compared;
                }
                s.nchanged = 0;
                s.pool_used = 0;
                if (clock >= 0) before = s.vars[clock].present ? s.vars[clock].value[0] : 'x';
                if (touched) changed_outputs(&s, samples, unknown);
            }
            /* the timestamp: plain digits only */
            if (line_len < 2 || line_len > 19) goto unsure;
            long long t = 0;
            for (size_t i = 1; i < line_len; i++) {
                if (line[i] < '0' || line[i] > '9') goto unsure;
                t = 10 * t + (line[i] - '0');
            }
            time_now = t;
            continue;
        }
        int scalar = head == '0' || head == '1' || head == 'x' || head == 'z' || head == 'X' || head == 'Z';
        const char *code;
        size_t code_len;
        const char *value = NULL;
        size_t value_len = 0;
        if (scalar) {
            code = line + 1;
            code_len = line_len - 1;
        } else if (head == 'b' || head == 'B' || head == 'r' || head == 'R') {
            size_t space = 1;
            while (space < line_len && line[space] != ' ') space++;
            if (space == line_len) goto unsure;
            value = line + 1;
            value_len = space - 1;
            code = line + space + 1;
            code_len = line_len - space - 1;
        } else {
            continue; /* $dumpvars, $end, $comment...: no values */
        }
        if (code_len == 0) goto unsure;
        for (size_t i = 0; i < code_len; i++)
            if ((unsigned char)code[i] < 0x21 || (unsigned char)code[i] > 0x7e) goto unsure;
        if (code_len > 8) continue; /* longer than every kept code: not kept */
        int index = lookup(&s, pack(code, code_len));
        if (index < 0) continue;
        Var *v = &s.vars[index];
        int w = v->width;
        char *dst = reserve(&s, w);
        if (!dst) goto finish_failed;
        if (scalar) {
            if (w != 1) goto unsure;
            dst[0] = (char)(head | 0x20); /* X -> x, Z -> z; 0 and 1 unchanged */
        } else {
            if (head == 'r' || head == 'R' || value_len == 0) goto unsure;
            for (size_t i = 0; i < value_len; i++) {
                char ch = value[i] | 0x20;
                if (ch != '0' && ch != '1' && ch != 'x' && ch != 'z') goto unsure;
            }
            /* left-extended to the width (lowercase): a leading 1 with 0, else with itself */
            if ((int)value_len >= w) {
                for (int i = 0; i < w; i++) dst[i] = value[value_len - w + i] | 0x20;
            } else {
                char lead = value[0] | 0x20;
                char fill = lead == '1' ? '0' : lead;
                int pad = w - (int)value_len;
                memset(dst, fill, pad);
                for (size_t i = 0; i < value_len; i++) dst[pad + i] = value[i] | 0x20;
            }
        }
        s.changed[s.nchanged++] = index;
        s.pool_used += w;
        if (index == clock) {
            char now = dst[0];
            if (before == '0' && now == '1') edge = 'p';
            else if (before == '1' && now == '0') edge = 'n';
        }
    }
    if (whole)
        for (int k = 0; k < s.npairs; k++) close_output(&s, k, samples);
    status = OK;
    goto finish;
unsure:
    status = UNSURE;
    goto finish;
small:
    status = SMALL;
    goto finish;
finish_failed:
    status = FAILED;
finish:
    figures[FIG_SAMPLES] = samples;
    figures[FIG_LAST] = last;
    figures[FIG_FIRST] = has_first;
    figures[FIG_FIRST_TIME] = first_time;
    figures[FIG_FIRST_CYCLE] = first_cycle;
    figures[FIG_FOUND] = found;
    figures[FIG_ROWS] = rows_used;
    free(line);
done:
    if (f) fclose(f);
    free(buf);
    free(ring);
    free(ring_len);
    free(unknown);
    if (s.vars)
        for (int i = 0; i < s.nvars; i++) free(s.vars[i].value);
    free(s.vars);
    free(s.table);
    free(s.wrong);
    free(s.since);
    free(s.changed);
    free(s.pool);
    return status;
}
