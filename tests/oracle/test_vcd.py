from pathlib import Path

from oracle.vcd import differs, extend, find_mismatches, format_value

HEADER = """$timescale 1ps $end
$scope module tb $end
$scope module stim1 $end
$var wire 1 ! clk $end
$upscope $end
$upscope $end
$scope module tb $end
$var wire 1 " tb_mismatch $end
$var reg 1 ! clk $end
$var wire 1 # reset $end
$var wire 4 $ q_ref [3:0] $end
$var wire 4 % q_dut [3:0] $end
$upscope $end
$enddefinitions $end
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "wave.vcd"
    path.write_text(HEADER + body)
    return path


def test_extend_follows_the_vcd_rule():
    assert extend("1", 4) == "0001"
    assert extend("0", 4) == "0000"
    assert extend("x", 3) == "xxx"
    assert extend("z1", 4) == "zzz1"
    assert extend("X10", 4) == "xx10"
    assert extend("10101", 4) == "0101"


def test_format_value_matches_verilog_hex():
    assert format_value("1") == "1"
    assert format_value("1010") == "4'ha"
    assert format_value("00001010") == "8'h0a"
    assert format_value("xxxx") == "4'hx"
    assert format_value("x010") == "4'hX"
    assert format_value("zzzz0001") == "8'hz1"
    assert format_value("101") == "3'h5"


def test_x_in_reference_is_dont_care_but_x_from_candidate_is_not():
    assert not differs("x1", "01")
    assert not differs("xx", "zz")
    assert differs("01", "0x")
    assert differs("1", "z")
    assert not differs("0101", "0101")


def test_samples_use_values_before_the_edge(tmp_path):
    # at #10 the clock falls and q_dut changes in the same timestamp: the sample at 10 must see
    # the old q_dut (match); the sample at 15 sees the new one (mismatch)
    vcd = write(tmp_path, """#0
$dumpvars
b1 %
b1 $
0#
0"
0!
$end
#5
1!
#10
0!
b11 %
#15
1!
#20
0!
b11 $
#25
1!
""")
    found = find_mismatches(vcd, limit=8)
    # the reference catches up at 20, after that timestamp's sample: 25 matches again
    assert [(m.time, m.edge, m.cycle, m.expected, m.actual) for m in found] == [
        (15, "posedge", 1, "4'h1", "4'h3"),
        (20, "negedge", 2, "4'h1", "4'h3"),
    ]
    assert found[0].inputs == {"reset": "0"}
    assert found[0].signal == "q"


def test_initial_clock_value_is_not_an_edge_and_reading_stops_at_the_limit(tmp_path):
    body = "#0\n$dumpvars\nb0 %\nb1 $\n0#\n0!\n$end\n"
    for t in range(5, 200, 5):
        body += f"#{t}\n{'1' if t % 10 == 5 else '0'}!\n"
    body += "this line is garbage that must never be read\n"
    found = find_mismatches(write(tmp_path, body), limit=3)
    assert [m.time for m in found] == [5, 10, 15]
    assert [m.edge for m in found] == ["posedge", "negedge", "posedge"]
    assert [m.cycle for m in found] == [0, 1, 1]


def test_no_pairs_means_no_mismatches(tmp_path):
    path = tmp_path / "other.vcd"
    path.write_text("$scope module t $end\n$var wire 1 ! a $end\n$upscope $end\n$enddefinitions $end\n#0\n1!\n")
    assert find_mismatches(path) == []


def test_trace_shows_the_samples_leading_to_the_first_mismatch(tmp_path):
    from oracle.vcd import scan

    body = "#0\n$dumpvars\nb1 %\nb1 $\n0#\n0!\n$end\n#5\n1!\n#10\n0!\n1#\n#15\n1!\nb0 %\n#20\n0!\n#25\n1!\n"
    found, trace = scan(write(tmp_path, body), limit=8, window=3)
    assert found[0].time == 20  # q_dut went to 0 at 15, after that edge's sample
    assert [(r.time, r.edge) for r in trace] == [(10, "negedge"), (15, "posedge"), (20, "negedge")]
    assert trace[1].inputs == {"reset": "1"} and trace[0].inputs == {"reset": "0"}
    assert trace[-1].outputs == {"q": ("4'h1", "4'h0")} and trace[0].outputs == {"q": ("4'h1", "4'h1")}
    # read with the agreement figures, samples with no output wrong are only kept for the trace
    from oracle.vcd import read_run

    again, kept, agree = read_run(write(tmp_path, body), 8, 3, whole=True)
    assert (again, kept) == (found, trace) and agree is not None and agree.first_time == 20


def test_agreement_counts_wrong_bits_per_sample_with_x_as_dont_care(tmp_path):
    # samples at each clock edge (10, 20, ... 60), values as of just before the edge:
    #   10: ref 0011 dut 0011 (equal)          20: ref 0011 dut 0111 (1 bit)
    #   30: ref 0011 dut 0111 (the same pair again: 1 bit)
    #   40: ref x011 dut 1011 (x in the reference: equal where known)
    #   50: ref 0011 dut 0x11 (x from the design: wrong)   60: ref xxxx dut xxxx (equal)
    vcd = write(tmp_path, """#0
$dumpvars
0!
0#
b11 $
b11 %
$end
#10
1!
b111 %
#20
0!
#30
1!
bx011 $
b1011 %
#40
0!
b11 $
b0x11 %
#50
1!
bx $
bx %
#60
0!
""")
    from oracle.vcd import agreement

    result = agreement(vcd)
    assert result is not None
    assert result.samples == 6
    q = result.outputs["q"]
    assert (q.samples, q.bits, q.width) == (3, 3, 4)
    assert result.first_time == 20
