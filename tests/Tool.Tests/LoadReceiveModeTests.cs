using TailGuard.Load;
using TailGuard.R2P2;
using TailGuard.Tool.Commands.Load;

namespace TailGuard.Tool.Tests;

/// <summary>
/// The default receive mode of `tailguard load`'s own client loops follows the sweep (docs/load.md, "The sending
/// thread"): blocking up to 20k requests/s with kernel timestamps, the runtime's adaptive mode above it, without kernel
/// timestamps, and for a capacity sweep whose rates are not known in advance.
/// </summary>
public sealed class LoadReceiveModeTests
{
    [Theory]
    [InlineData(new double[] { 5_000 }, ReceiveMode.Blocking)]
    [InlineData(new double[] { 5_000, 20_000 }, ReceiveMode.Blocking)]
    [InlineData(new double[] { 5_000, 20_001 }, ReceiveMode.Adaptive)]
    [InlineData(new double[] { 50_000, 5_000 }, ReceiveMode.Adaptive)]
    [InlineData(new double[] { 100_000 }, ReceiveMode.Adaptive)]
    public void With_kernel_timestamps_the_loops_block_only_while_every_rate_is_at_most_20k(double[] rates, ReceiveMode expected)
        => Assert.Equal(expected, LoadCommand.ClientReceiveMode(kernelTimestamps: true, SweepPlan.OfRates(rates)));

    [Fact]
    public void Without_kernel_timestamps_the_loops_use_the_runtime_default()
        => Assert.Equal(new R2P2ClientOptions().ReceiveMode, LoadCommand.ClientReceiveMode(kernelTimestamps: false, SweepPlan.OfRates([5_000])));

    [Fact]
    public void A_capacity_sweep_spins()
        => Assert.Equal(ReceiveMode.Adaptive, LoadCommand.ClientReceiveMode(kernelTimestamps: true, SweepPlan.OfCapacity([0.5, 0.9], System.TimeSpan.FromSeconds(1))));
}
