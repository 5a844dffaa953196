"""cocotb tests for accum, clocked by cocotb."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.clear.value = 1
    dut.add.value = 0
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.clear.value = 0


@cocotb.test()
async def sums_random_values(dut):
    await start(dut)
    model = 0
    rng = random.Random(7)
    for _ in range(200):
        value = rng.randrange(256)
        dut.add.value = value
        await FallingEdge(dut.clk)
        model = (model + value) % 4096
        assert int(dut.total.value) == model, f"total expected {model}, got {int(dut.total.value)}"


@cocotb.test()
async def clear_wins(dut):
    await start(dut)
    dut.add.value = 5
    await FallingEdge(dut.clk)
    dut.clear.value = 1
    await FallingEdge(dut.clk)
    assert int(dut.total.value) == 0, f"total expected 0, got {int(dut.total.value)} after clear"
