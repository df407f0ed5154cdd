using System.Collections.Generic;

namespace TailGuard.Generators.Tests.Regressions;

/// <summary>
/// Issue 20's failing kinds as contracts (each once produced generated code that did not compile, or compiled with
/// warnings): the regression tests build and run them, and their generated code is kept as golden files.
/// </summary>
internal static class RegressionSources
{
    public const string NullableValues = """
        using System;
        using TailGuard;

        namespace Regressions.NullableValues;

        /// <summary>Nullable value types.</summary>
        public enum Level : short
        {
            /// <summary>Low.</summary>
            Low = -1,

            /// <summary>High.</summary>
            High = 1,
        }

        /// <summary>Nullable value types and strings on R2P2.</summary>
        [R2P2Service]
        public interface IOptional
        {
            /// <summary>Echoes.</summary>
            /// <param name="value">A value or null.</param>
            /// <param name="id">An id or null.</param>
            /// <param name="level">A level or null.</param>
            /// <returns>The value plus one, or null.</returns>
            int? Echo(int? value, Guid? id, Level? level);

            /// <summary>Finds.</summary>
            /// <param name="key">A key or null.</param>
            /// <returns>The key upper-cased, or null.</returns>
            string? Find(string? key);
        }
        """;

    public const string KeywordMethods = """
        using System;
        using TailGuard;

        namespace Regressions.Keywords;

        /// <summary>Methods named like C# keywords.</summary>
        [R2P2Service]
        public interface IKeywords
        {
            /// <summary>Checked.</summary>
            /// <param name="value">A value.</param>
            /// <returns>The value.</returns>
            int @checked(int value);

            /// <summary>Lock.</summary>
            void @lock();

            /// <summary>Event.</summary>
            /// <param name="class">A parameter named like a keyword.</param>
            /// <returns>The parameter.</returns>
            long @event(long @class);
        }
        """;

    public const string CollidingNames = """
        using System;
        using TailGuard;

        namespace Regressions.Collisions;

        /// <summary>Parameters named like what the generator derives or declares.</summary>
        [R2P2Service]
        public interface IStore
        {
            /// <summary>Reads.</summary>
            /// <param name="destination">Where to write.</param>
            /// <param name="destinationCapacity">A parameter named like the lease method's capacity.</param>
            /// <param name="cancellationToken">Named like the generated token.</param>
            /// <param name="timeout">Named like the generated timeout.</param>
            /// <returns>The byte count.</returns>
            int Read(Span<byte> destination, int destinationCapacity, long cancellationToken, int timeout);

            /// <summary>Uses the names of the generated locals and fields.</summary>
            /// <param name="__state">A.</param>
            /// <param name="__call">B.</param>
            /// <param name="_client">C.</param>
            /// <param name="__timeout">D.</param>
            /// <param name="_batch">E.</param>
            /// <returns>The sum.</returns>
            long Locals(int __state, int __call, int _client, int __timeout, int _batch);
        }

        /// <summary>Parameters named like the boundary's slots, fields and locals.</summary>
        [TrustDomain]
        public interface IVault
        {
            /// <summary>Stores.</summary>
            /// <param name="End">Named like a frame end.</param>
            /// <param name="Data">Named like a data size.</param>
            /// <param name="__call">Named like the proxy's local.</param>
            /// <param name="_channel">Named like the proxy's field.</param>
            /// <returns>The sum.</returns>
            long Store(int End, int Data, int __call, int _channel);

            /// <summary>Copies.</summary>
            /// <param name="__frame">Named like the entry's parameter.</param>
            /// <param name="output">Out.</param>
            void Copy([Bounded(8)] ReadOnlySpan<byte> __frame, [Bounded(8)] Span<byte> output);
        }
        """;

    public const string NestedInGeneric = """
        using System;
        using TailGuard;

        namespace Regressions.Generic;

        /// <summary>Outer.</summary>
        /// <typeparam name="T">Not used by the contracts.</typeparam>
        public static partial class Outer<T>
        {
            /// <summary>Inner.</summary>
            public partial class Inner
            {
                /// <summary>A clock nested in a generic type.</summary>
                [R2P2Service]
                public interface IClock
                {
                    /// <summary>Now.</summary>
                    /// <param name="zone">A zone.</param>
                    /// <returns>Ticks.</returns>
                    long Now(int zone);
                }

                /// <summary>A vault nested in a generic type.</summary>
                [TrustDomain]
                public interface IVault
                {
                    /// <summary>Verifies.</summary>
                    /// <param name="password">The password.</param>
                    /// <returns>Whether it matches.</returns>
                    bool Verify([Bounded(64)] ReadOnlySpan<byte> password);

                    /// <summary>An overload.</summary>
                    /// <param name="pin">A pin.</param>
                    /// <returns>Whether it matches.</returns>
                    bool Verify(int pin);
                }
            }
        }
        """;

    public const string NullableReferences = """
        using System;
        using TailGuard;

        namespace Regressions.NullableReferences;

        /// <summary>Nullable strings at a trust boundary.</summary>
        [TrustDomain]
        public interface ILog
        {
            /// <summary>Logs.</summary>
            /// <param name="message">The message, or null.</param>
            /// <param name="category">The category.</param>
            /// <returns>The message's length, or -1 for null.</returns>
            int Write([Bounded(64)] string? message, string category);
        }
        """;

    public const string Obsolete = """
        using System;
        using TailGuard;

        namespace Regressions.Obsolete;

        /// <summary>Obsolete members, each form.</summary>
        [R2P2Service]
        public interface IOld
        {
            /// <summary>Warns.</summary>
            /// <returns>1.</returns>
            [Obsolete]
            int Plain();

            /// <summary>Warns with a message.</summary>
            /// <returns>2.</returns>
            [Obsolete("Use Current.")]
            int Message();

            /// <summary>An error to call.</summary>
            /// <returns>3.</returns>
            [Obsolete("Gone.", true)]
            int Error();

            /// <summary>Its own diagnostic id.</summary>
            /// <returns>4.</returns>
            [Obsolete("Tracked.", DiagnosticId = "OLD0001")]
            int Tracked();

            /// <summary>Current.</summary>
            /// <returns>5.</returns>
            int Current();
        }

        /// <summary>Obsolete members at a trust boundary.</summary>
        [TrustDomain]
        public interface IOldVault
        {
            /// <summary>An error to call.</summary>
            /// <param name="value">A value.</param>
            /// <returns>The value.</returns>
            [Obsolete("Gone.", true)]
            int Error(int value);

            /// <summary>Warns.</summary>
            [Obsolete("Old.")]
            void Warn();
        }

        /// <summary>An obsolete type with its own diagnostic id, used by obsolete members only.</summary>
        [Obsolete("Old point.", DiagnosticId = "OLD0002")]
        public struct OldPoint
        {
            /// <summary>X.</summary>
            public int X;
        }

        // The user's own warnings for using it are theirs to silence; the generated code must raise none.
        #pragma warning disable OLD0002
        /// <summary>A service using the obsolete type in a current method.</summary>
        [R2P2Service]
        public interface IPoints
        {
            /// <summary>Moves.</summary>
            /// <param name="point">The point.</param>
            /// <returns>The point moved.</returns>
            OldPoint Move(OldPoint point);
        }
        #pragma warning restore OLD0002

        /// <summary>A whole obsolete service.</summary>
        [Obsolete("Retired service.")]
        [R2P2Service]
        public interface IRetired
        {
            /// <summary>Pings.</summary>
            void Ping();
        }
        """;

    // Found by the property test: a hint name this long had to be shortened, and the hash's separator must be a
    // character Roslyn accepts in hint names.
    public const string VeryLongNames = """
        using System;
        using TailGuard;

        namespace Regressions.Long;

        /// <summary>A service with a very long name.</summary>
        [R2P2Service]
        public interface IVeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName
        {
            /// <summary>A method with a very long name.</summary>
            /// <param name="VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName">A parameter with a very long name.</param>
            /// <returns>The parameter.</returns>
            int VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName(int VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName);
        }

        /// <summary>A domain with a very long name.</summary>
        [TrustDomain]
        public interface IDomainVeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName
        {
            /// <summary>A method with a very long name.</summary>
            /// <param name="VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName">A parameter with a very long name.</param>
            /// <returns>The parameter.</returns>
            int VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName(int VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName);
        }
        """;

    public static IReadOnlyDictionary<string, string> All { get; } = new SortedDictionary<string, string>(System.StringComparer.Ordinal)
    {
        ["Regression.CollidingNames"] = CollidingNames,
        ["Regression.KeywordMethods"] = KeywordMethods,
        ["Regression.NestedInGeneric"] = NestedInGeneric,
        ["Regression.NullableReferences"] = NullableReferences,
        ["Regression.NullableValues"] = NullableValues,
        ["Regression.Obsolete"] = Obsolete,
        ["Regression.VeryLongNames"] = VeryLongNames,
    };
}
