using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

[Collection(PackedPackagesCollection.Name)]
public sealed class ConsumerBuildTests(PackedPackages packages)
{
    [Fact]
    public async Task A_fresh_consumer_builds_from_the_local_feed_and_loads_every_roslyn_component()
    {
        using var consumer = new ConsumerProject(packages, """
            using TailGuard;

            Console.WriteLine(typeof(R2P2ServiceAttribute).Assembly.GetName().Name);

            [R2P2Service]
            public interface IPing
            {
                int Ping(int value);
            }
            """);

        var build = await consumer.BuildAsync();

        Assert.True(build.Succeeded, build.ToString());
        // CS8032: an analyzer or generator could not be instantiated; CS9057: it needs a newer compiler;
        // CS8784/CS8785: a generator failed to initialize or threw; AD0001: an analyzer threw.
        foreach (var failure in new[] { "CS8032", "CS9057", "CS8784", "CS8785", "AD0001" })
        {
            Assert.DoesNotContain(failure, build.Output, System.StringComparison.Ordinal);
        }

        // The analyzer and generator timing reports name each assembly the compiler instantiated components from
        // ("Name, Version=..."); the command line alone names the files without a version.
        Assert.Contains("TailGuard.Generators, Version=", build.Output, System.StringComparison.Ordinal);
        Assert.Contains("TailGuard.Analyzers, Version=", build.Output, System.StringComparison.Ordinal);

        var run = await consumer.RunAsync();
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("TailGuard", run.Output, System.StringComparison.Ordinal);
    }
}
