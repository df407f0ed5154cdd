using System.Collections.Generic;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>Representative [R2P2Service] interfaces: golden files, compilation and caching tests all use these.</summary>
internal static class ServiceSources
{
    public const string KeyValue = """
        using System;
        using TailGuard;

        namespace Samples.Store;

        /// <summary>The architecture's example: byte keys and values, a destination for reads.</summary>
        [R2P2Service]
        public interface IKeyValue
        {
            bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

            int Get(ReadOnlySpan<byte> key, Span<byte> destination);

            bool Delete(ReadOnlySpan<byte> key);
        }
        """;

    public const string AllTypes = """
        using System;
        using TailGuard;
        using TailGuard.R2P2;

        namespace Samples.Types;

        public enum Level : short { Low = -1, High = 1 }

        public struct Vector3
        {
            public float X;
            public float Y;
            public float Z;
        }

        [R2P2Service(Policy = RoutingPolicy.Fixed)]
        internal interface IEverything
        {
            void Ping();
            bool Flip(bool value);
            byte Bytes(byte a, sbyte b);
            short Shorts(short a, ushort b, char c);
            uint Ints(int a, uint b);
            long Longs(long a, ulong b);
            double Reals(float a, double b);
            decimal Money(decimal amount);
            Level Adjust(Level level);
            Vector3 Scale(Vector3 vector, float factor);
            Guid NewId(DateTime when);

            [R2P2Method(7, Policy = RoutingPolicy.ReplicatedReadOnly)]
            [return: R2P2MaxLength(64)]
            string Greet([R2P2MaxLength(32)] string name, int times);

            [R2P2Method(8)]
            int Fill([R2P2MaxLength(1024)] ReadOnlySpan<byte> seed, [R2P2MaxLength(256)] Span<byte> output);

            long Many(int a1, int a2, int a3, int a4, int a5, int a6, int a7, int a8, int a9);

            [return: R2P2MaxLength(16)]
            System.Threading.Tasks.ValueTask<string> LookupAsync(ReadOnlySpan<byte> key);

            System.Threading.Tasks.ValueTask StoreAsync(Guid id, long value);
        }
        """;

    public const string NestedAndEscaped = """
        using System;
        using TailGuard;

        public static partial class Outer<T>
        {
            internal partial class Inner
            {
                [R2P2Service]
                public interface Clock
                {
                    long Now(int @class, string cancellationToken);

                    void ResetAsync();
                }
            }
        }
        """;

    public static IReadOnlyDictionary<string, string> All { get; } = new Dictionary<string, string>
    {
        ["KeyValue"] = KeyValue,
        ["AllTypes"] = AllTypes,
        ["NestedAndEscaped"] = NestedAndEscaped,
    };
}
