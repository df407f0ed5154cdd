using System;
using System.IO;
using System.Linq;
using TailGuard.Fuzz.Harness;
using Xunit.Abstractions;

namespace TailGuard.Fuzz.Tests;

/// <summary>
/// Every fuzz target, in-process: its committed seed corpus, then random and mutated inputs for two seconds and at
/// least <see cref="MinimumGenerated"/> of them however slow the machine is. A failure prints the target's complaint
/// and the input in hex (save it under tests/Fuzz/crashes/TARGET/ once fixed).
/// </summary>
public sealed class SmokeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    // The slowest target (client) runs about 3 500 inputs a second on a quiet machine: 500 cost it a seventh of a second
    // there, and a few seconds at load 80, where the clock alone let it run only its corpus.
    private const int MinimumGenerated = 500;

    public static TheoryData<string> Targets => new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_seed_corpus_holds_every_seed_the_encoders_build(string name)
    {
        byte[][] corpus = FuzzFiles.Files(FuzzFiles.Corpus(name)).Select(File.ReadAllBytes).ToArray();

        IFuzzTarget target = FuzzTargets.Create(name);
        foreach ((string seed, byte[] bytes) in target.Seeds())
        {
            Assert.True(corpus.Any(c => target.IsSameSeed(c, bytes)), $"tests/Fuzz/corpus/{name}/ lacks seed '{seed}': rerun `TailGuard.Fuzz {name} --write-seeds tests/Fuzz/corpus/{name}`.");
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void A_short_run_of_seeds_random_and_mutated_inputs_breaks_no_invariant(string name)
    {
        byte[][] corpus = FuzzFiles.Files(FuzzFiles.Corpus(name)).Select(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(corpus);

        SmokeResult result = SmokeRun.Run(FuzzTargets.Create(name), corpus, Budget, seed: name.Length * 7919, MinimumGenerated);

        output.WriteLine($"{name}: {result.Executions} executions in {Budget.TotalSeconds} s");
        Assert.True(result.Failure is null, $"{name} failed on input {Convert.ToHexString(result.Failure ?? [])}: {result.Error}");
        Assert.True(result.Executions >= corpus.Length + MinimumGenerated, $"{name} ran {result.Executions} inputs: fewer than its corpus ({corpus.Length}) plus {MinimumGenerated} generated ones.");
    }
}
