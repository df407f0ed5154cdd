using System;
using System.Linq;
using TailGuard.Fuzz.Attestation;
using TailGuard.Fuzz.Boundary;
using TailGuard.Fuzz.R2P2;
using TailGuard.Fuzz.Services;

namespace TailGuard.Fuzz.Harness;

/// <summary>
/// Every fuzz target, by name (the runner's argument, the corpus and crash folders). Targets are built on demand: under
/// AFL the instrumented TailGuard code may run only once SharpFuzz has set up the coverage map (inside Fuzzer.Run).
/// </summary>
internal static class FuzzTargets
{
    private static readonly (string Name, Func<IFuzzTarget> Create)[] All =
    [
        ("header", () => new HeaderTarget()),
        ("reassembler", () => new ReassemblerTarget()),
        ("client", () => new ClientResponseTarget()),
        ("payload", () => new PayloadTarget()),
        ("attestation", () => new AttestationTarget()),
        ("boundary", () => new BoundaryTarget()),
    ];

    public static string[] Names { get; } = All.Select(t => t.Name).ToArray();

    /// <summary>A fresh instance of the target named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No target has that name.</exception>
    public static IFuzzTarget Create(string name)
    {
        foreach ((string candidate, Func<IFuzzTarget> create) in All)
        {
            if (candidate == name)
            {
                IFuzzTarget target = create();
                return target.Name == name ? target : throw new InvalidOperationException($"The target registered as '{name}' calls itself '{target.Name}'.");
            }
        }

        throw new ArgumentException($"No fuzz target is named '{name}'; the targets are: {string.Join(", ", Names)}.", nameof(name));
    }
}
