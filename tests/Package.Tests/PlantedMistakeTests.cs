using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

/// <summary>
/// A consumer built from the package with three planted mistakes: the package's generators and analyzers must each
/// report theirs, by ID, in an ordinary build.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class PlantedMistakeTests(PackedPackages packages)
{
    [Fact]
    public async Task Each_planted_mistake_is_reported_by_its_diagnostic_id()
    {
        using var consumer = new ConsumerProject(packages, """
            using TailGuard;

            Console.WriteLine("never runs");

            [R2P2Service]
            public interface IEcho
            {
                int Echo([R2P2MaxLength(64)] ReadOnlySpan<byte> data, [R2P2MaxLength(64)] Span<byte> destination);
            }

            public sealed class AllocatingEcho : IEcho
            {
                // Planted: an array allocated in an R2P2 handler (a hot path).
                public int Echo(ReadOnlySpan<byte> data, Span<byte> destination)
                {
                    byte[] copy = new byte[data.Length];
                    data.CopyTo(copy);
                    copy.CopyTo(destination);
                    return copy.Length;
                }
            }

            [TrustDomain]
            public interface IKeyHolder
            {
                int Read([Bounded(32)] Span<byte> destination);

                long Pin();
            }

            public sealed class LeakyKeyHolder : IKeyHolder
            {
                [Secret]
                private readonly byte[] _key = new byte[32];

                // Planted: the secret key copied into an output buffer the host reads.
                public int Read(Span<byte> destination)
                {
                    _key.CopyTo(destination);
                    return _key.Length;
                }

                [Secret]
                private readonly long _pin = 1234;

                // Planted: a secret returned to the host.
                public long Pin() => _pin;
            }

            [R2P2Service]
            public interface IUnsupported
            {
                // Planted: object cannot cross an R2P2 service.
                int Take(object value);
            }
            """);

        var build = await consumer.BuildAsync();

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains("error TG1001", build.Output, System.StringComparison.Ordinal);
        Assert.Contains("error TG3002", build.Output, System.StringComparison.Ordinal);
        Assert.Matches(new Regex(@"error TG4001: [^\n]*'_key'"), build.Output);
        Assert.Matches(new Regex(@"error TG4001: [^\n]*'_pin'"), build.Output);
        // The diagnostics point at the planted lines, not at generated code.
        Assert.Matches(new Regex(@"Program\.cs\(54,\d+\): error TG1001"), build.Output);
        Assert.Matches(new Regex(@"Program\.cs\(16,\d+\): error TG3002"), build.Output);
        Assert.Matches(new Regex(@"Program\.cs\(39,\d+\): error TG4001"), build.Output);
        Assert.Matches(new Regex(@"Program\.cs\(47,\d+\): error TG4001"), build.Output);
    }
}
