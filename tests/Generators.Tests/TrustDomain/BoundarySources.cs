using System.Collections.Generic;

namespace TailGuard.Generators.Tests.TrustDomain;

/// <summary>Representative trust-boundary contracts: the golden files, caching and compilation tests run over these.</summary>
internal static class BoundarySources
{
    public const string Vault = """
        using System;
        using TailGuard;

        namespace Samples.Vault;

        [TrustDomain]
        public interface IVault
        {
            bool Verify([Bounded(64)] ReadOnlySpan<byte> password);

            int Sign([Bounded(1024)] ReadOnlySpan<byte> message, [Bounded(32)] Span<byte> signature);
        }
        """;

    public const string Everything = """
        using System;
        using TailGuard;

        namespace Samples.Boundary;

        public enum Level : byte { Low, High }

        public struct Pair { public int A; public int Spare; public long B; }

        [TrustDomain]
        internal interface IEverything
        {
            void Nothing();
            double Scalars(bool flag, char letter, sbyte a, short b, ushort c, uint d, ulong e, float f, double g, decimal h, Level level, Pair pair);
            Pair Buffers([Bounded(16)] ReadOnlySpan<int> input, [Bounded(8)] Span<long> output, [InOut, Bounded(32)] Span<byte> both);
            int Text([Bounded(100)] string name, string defaulted);
            Level Overloaded(int @event);
            Level Overloaded(long value);
                void Unchecked([UserCheck, Bounded(64)] ReadOnlySpan<byte> view, [UserCheck, Bounded(64)] Span<byte> writable);
            }
        """;

    public const string HostCalls = """
        using System;
        using TailGuard;

        public static partial class Outer
        {
            [HostCalls]
            public interface IHostServices
            {
                long Now();
                int Read([Bounded(4096)] Span<byte> destination, long position);
                void Log(int level, [Bounded(200)] string message);
            }
        }
        """;

    public static IReadOnlyDictionary<string, string> All { get; } = new SortedDictionary<string, string>(System.StringComparer.Ordinal)
    {
        ["Boundary.Everything"] = Everything,
        ["Boundary.HostCalls"] = HostCalls,
        ["Boundary.Vault"] = Vault,
    };
}
