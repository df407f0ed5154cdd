using System;
using System.Globalization;
using CsCheck;
using Xunit.Abstractions;

namespace TailGuard.Generators.Tests.Properties;

/// <summary>
/// Issue 20's property: every valid contract the generators accept compiles warning-free (nullable, XML docs, the latest
/// warning wave) and works end to end: R2P2 calls over the in-memory network, trust-domain calls through the host,
/// [HostCalls] from inside a domain, each implementation seeing exactly the arguments its caller passed and each caller
/// the results and outputs. CI runs a fixed seed and a bounded number of scenarios;
/// tests/Generators.Tests/run-properties.sh runs it longer with random seeds (TAILGUARD_PROPERTY_SEED,
/// TAILGUARD_PROPERTY_ITER, TAILGUARD_PROPERTY_TIME). A shrunk failure prints its sources: keep it as a regression test.
/// </summary>
[Collection(PropertyCollection.Name)]
public sealed class GeneratedContractPropertyTests
{
    // A fixed seed: the scenarios CI sees are the same on every run.
    private const string CiSeed = "0000000030V7";
    private const int CiScenarios = 24;

    private readonly ITestOutputHelper _output;

    public GeneratedContractPropertyTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Every_generated_contract_compiles_warning_free_and_round_trips_every_call()
    {
        string? seed = Environment.GetEnvironmentVariable("TAILGUARD_PROPERTY_SEED") switch
        {
            null or "" => CiSeed,
            "random" => null,
            var fixedSeed => fixedSeed,
        };
        long iterations = long.TryParse(Environment.GetEnvironmentVariable("TAILGUARD_PROPERTY_ITER"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long iter) ? iter : CiScenarios;
        int time = int.TryParse(Environment.GetEnvironmentVariable("TAILGUARD_PROPERTY_TIME"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seconds) ? seconds : -1;

        ScenarioGen.Scenario.Sample(
            scenario => ScenarioRunner.Run(ScenarioRunner.Compile(ScenarioWriter.Write(scenario)), ScenarioWriter.DriverName, TimeSpan.FromSeconds(120)),
            writeLine: _output.WriteLine,
            seed: seed,
            iter: time > 0 ? -1 : iterations,
            time: time,
            threads: 1,
            print: ScenarioWriter.Print);
    }
}

/// <summary>The property test compiles and runs many assemblies: alone, so it neither slows nor is slowed by the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PropertyCollection
{
    public const string Name = "Generated contracts";
}
