/* Anvil's fork-after-load runner for Icarus's vvp (a VPI module; see oracle/forking.py).
 *
 * A schema's image is loaded once; at the end of compilation, before any variable is initialised
 * or any thread has run, this module forks one child per choice. Each child moves to its own
 * simulation directory with its own output file and simulates exactly as a fresh vvp would; the
 * selector's initialisation (rewritten by oracle/forking.py to call the system function named
 * in ANVIL_FORK instead of pushing the marker) gets the child's choice. The parent waits for each
 * child under a per-child deadline (SIGKILL when it passes), writes one line per child to the
 * results file and ends without simulating.
 *
 * Inert unless ANVIL_FORK is set: "<function name> <choices> <deadline ms> <directory> <max output>";
 * the function's name is random per runner (no design can know it), and in a run of the design
 * alone it does not exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vpi_user.h>

static int choice; /* this child's choice; 0 in the parent */
static int count;
static long deadline_ms, max_output;
static char function[256], dir[3584];

/* The selector's initialisation calls this (oracle/forking.py rewrites the image so): the choice. */
static PLI_INT32 choice_calltf(PLI_BYTE8 *data)
{
    (void)data;
    vpiHandle call = vpi_handle(vpiSysTfCall, NULL);
    s_vpi_value v;
    v.format = vpiIntVal;
    v.value.integer = choice;
    vpi_put_value(call, &v, NULL, vpiNoDelay);
    return 0;
}

static PLI_INT32 choice_sizetf(PLI_BYTE8 *data)
{
    (void)data;
    return 32;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Wait for pid at most ms milliseconds: its wait status, or -1 when the deadline passed. */
static int wait_bounded(pid_t pid, double ms)
{
    int status = 0;
    double end = now_ms() + ms;
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) {
            if (fd >= 0) close(fd);
            return status;
        }
        if (got < 0 && errno != EINTR) {
            if (fd >= 0) close(fd);
            return 0;
        }
        double left = end - now_ms();
        if (left <= 0) {
            if (fd >= 0) close(fd);
            return -1;
        }
        if (fd >= 0) {
            struct pollfd p = {fd, POLLIN, 0};
            poll(&p, 1, left < 1 ? 1 : (int)left);
        } else {
            struct timespec nap = {0, 200000};
            nanosleep(&nap, NULL);
        }
    }
}

static void child(int chosen)
{
    char path[4096];
    choice = chosen;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(127);
    snprintf(path, sizeof path, "%s/out%d", dir, choice);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    snprintf(path, sizeof path, "%s/sim%d", dir, choice);
    if (out < 0 || chdir(path) != 0) _exit(126);
    if (max_output > 0) {
        struct rlimit r;
        getrlimit(RLIMIT_FSIZE, &r);
        if (r.rlim_max == RLIM_INFINITY || (rlim_t)max_output < r.rlim_max) r.rlim_cur = r.rlim_max = max_output;
        setrlimit(RLIMIT_FSIZE, &r);
    }
    dup2(out, 1);
    dup2(out, 2);
    close(out);
}

static PLI_INT32 start(p_cb_data data)
{
    (void)data;
    char path[4096];
    snprintf(path, sizeof path, "%s/forks", dir);
    FILE *results = fopen(path, "we");
    if (!results) _exit(124);
    for (int k = 1; k <= count; k++) {
        fflush(stdout);
        fflush(stderr);
        double began = now_ms();
        pid_t pid = fork();
        if (pid == 0) {
            fclose(results);
            child(k);
            return 0; /* the child simulates */
        }
        if (pid < 0) {
            fprintf(results, "%d fork-failed\n", k);
            break;
        }
        int status = wait_bounded(pid, (double)deadline_ms);
        if (status == -1) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fprintf(results, "%d timeout %.3f\n", k, now_ms() - began);
        } else if (WIFEXITED(status)) {
            fprintf(results, "%d exit %d %.3f\n", k, WEXITSTATUS(status), now_ms() - began);
        } else {
            fprintf(results, "%d signal %d %.3f\n", k, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                    now_ms() - began);
        }
        fflush(results);
    }
    fclose(results);
    fflush(stdout);
    fflush(stderr);
    _exit(0);
}

static void registration(void)
{
    const char *spec = getenv("ANVIL_FORK");
    if (!spec) return;
    if (sscanf(spec, "%255s %d %ld %3583s %ld", function, &count, &deadline_ms, dir, &max_output) != 5 || count < 1
        || function[0] != '$') {
        fprintf(stderr, "anvil fork: bad ANVIL_FORK\n");
        _exit(125);
    }
    s_vpi_systf_data tf;
    memset(&tf, 0, sizeof tf);
    tf.type = vpiSysFunc;
    tf.sysfunctype = vpiSizedFunc;
    tf.tfname = function;
    tf.calltf = choice_calltf;
    tf.sizetf = choice_sizetf;
    vpi_register_systf(&tf);
    s_cb_data cb;
    memset(&cb, 0, sizeof cb);
    cb.reason = cbEndOfCompile;
    cb.cb_rtn = start;
    vpi_register_cb(&cb);
}

void (*vlog_startup_routines[])(void) = {registration, 0};
