import pytest

from engine.extract import extract_verilog, normalise

MOD = "module TopModule(input a, output y);\n  assign y = ~a;\nendmodule"


@pytest.mark.parametrize("answer", [
    f"```verilog\n{MOD}\n```",
    f"```systemverilog\n{MOD}\n```\nThis inverts a.",
    f"Sure! Here you go:\n\n```sv\n{MOD}\n```",
    f"```\n{MOD}\n```",
    f"```verilog\n{MOD}\n",  # unterminated fence (stopped by max_tokens)
    f"{MOD}\n\nExplanation: y is the inverse.",
    f"<think>Maybe module TopModule(input a); endmodule? No.</think>\n```verilog\n{MOD}\n```",
    f"<think>reasoning</think><answer>\n{MOD}\n</answer>",
])
def test_the_module_is_found_wherever_the_model_put_it(answer):
    assert extract_verilog(answer) == MOD + "\n"


def test_helper_modules_are_kept_and_testbenches_dropped():
    answer = ("```verilog\nmodule half(input a, b, output s);\n  assign s = a ^ b;\nendmodule\n\n"
              f"{MOD}\n\nmodule tb;\n  TopModule dut(.a(1'b0), .y());\nendmodule\n```")
    code = extract_verilog(answer)
    assert "module half" in code and "module TopModule" in code and "module tb" not in code


def test_a_later_block_redefining_the_module_wins():
    fixed = MOD.replace("~a", "a")
    code = extract_verilog(f"First try:\n```verilog\n{MOD}\n```\nCorrected:\n```verilog\n{fixed}\n```")
    assert code == fixed + "\n"


def test_directives_before_the_module_are_kept():
    code = extract_verilog(f"```verilog\n`timescale 1ns/1ps\n`default_nettype none\n{MOD}\n```")
    assert code.startswith("`timescale 1ns/1ps\n`default_nettype none\n")


def test_no_module_means_none():
    assert extract_verilog("I am not able to do that.") is None
    assert extract_verilog("```python\nprint(1)\n```") is None


def test_normalise_ignores_comments_and_spacing():
    assert normalise("module a; // x\n  wire w; /* y */ endmodule") == normalise("module a;\nwire w;\nendmodule")
