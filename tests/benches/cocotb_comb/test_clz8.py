"""cocotb tests for clz8: every input, and the all-zero word on its own."""

import cocotb
from cocotb.triggers import Timer


def leading_zeros(x: int) -> int:
    return 8 - x.bit_length()


@cocotb.test()
async def every_input(dut):
    for x in range(256):
        dut.x.value = x
        await Timer(1, unit="ns")
        got = int(dut.count.value)
        assert got == leading_zeros(x), f"count expected {leading_zeros(x)}, got {got} for x={x}"


@cocotb.test()
async def zero_word(dut):
    dut.x.value = 0
    await Timer(1, unit="ns")
    assert dut.count.value == 8
