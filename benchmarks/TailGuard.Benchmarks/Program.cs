using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project benchmarks/TailGuard.Benchmarks -- --filter '*'
// The authenticated mode's per-call latency (alternating rounds, p50/p99 medians): -- r2p2-auth [ROUNDS] [CALLS]
if (args.Length > 0 && args[0] == "r2p2-auth")
{
    return TailGuard.Benchmarks.R2P2.AuthenticatedModeLatency.Run(args[1..], System.Console.Out);
}

// In-process CPU per operation of the authenticated mode and of a call's protocol work: -- r2p2-cost [BATCHES] [OPERATIONS]
if (args.Length > 0 && args[0] == "r2p2-cost")
{
    return TailGuard.Benchmarks.R2P2.R2P2CostMicrobenchmarks.Run(args[1..], System.Console.Out);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
