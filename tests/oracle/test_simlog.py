from oracle.simlog import parse_compile_errors, parse_sim_log


def test_compile_errors_with_files_lines_and_sorry():
    out = """cand.sv:5: error: Unable to bind wire/reg/memory `x' in `tb.top_module1'
cand.sv:9: syntax error
cand.sv:9: error: invalid module item.
ref.sv:21: sorry: This cast operation is not yet supported.
cand.sv:3: warning: Port 1 (in) of TopModule expects 3 bits, got 2.
2 error(s) during elaboration.
"""
    errors = parse_compile_errors(out)
    assert [(e.file, e.line) for e in errors] == [("cand.sv", 5), ("cand.sv", 9), ("cand.sv", 9), ("ref.sv", 21)]
    assert "Unable to bind" in errors[0].message
    assert errors[1].message == "syntax error"
    assert errors[3].message.startswith("sorry: ")


def test_compile_error_continuations_are_joined_and_bare_errors_kept():
    out = """tb.sv:68: error: 'tb' has already been declared in this scope.
cand.sv:4:      : It was declared here as a module.
error: Unable to find the root module "tb" in the Verilog source.
     : Perhaps ``-s tb'' is incorrect?
"""
    errors = parse_compile_errors(out)
    assert errors[0].file == "tb.sv" and "It was declared here" in errors[0].message
    assert errors[1].file is None and "root module" in errors[1].message


def test_unparseable_compile_failure_keeps_its_last_line():
    errors = parse_compile_errors("something odd happened\nivl: internal failure\n")
    assert len(errors) == 1 and errors[0].message == "ivl: internal failure"


def test_only_the_last_result_line_counts():
    log = "Mismatches: 0 in 1 samples\nHint: Output 'q' has 3 mismatches. First mismatch occurred at time 40.\nMismatches: 3 in 421 samples\n"
    result = parse_sim_log(log)
    assert (result.mismatches, result.samples) == (3, 421)
    assert result.hints and not result.testbench_timeout


def test_failure_and_pass_lines_of_self_checking_benches():
    log = """ERROR: tb.sv:42: q wrong
       Time: 40 Scope: tb
FAIL at time 70: out expected 1 got 0
TIMEOUT
"""
    result = parse_sim_log(log)
    assert result.failure_count == 2
    assert (result.failures[0].values.time, result.failures[0].line) == (40, "ERROR: tb.sv:42: q wrong")
    assert result.failures[1].values.time == 70
    assert (result.failures[1].values.signal, result.failures[1].values.expected,
            result.failures[1].values.actual) == ("out", "1", "0")
    assert result.testbench_timeout
    assert parse_sim_log("All tests PASSED\n").passed_line
    assert not parse_sim_log("bypass\n").passed_line
