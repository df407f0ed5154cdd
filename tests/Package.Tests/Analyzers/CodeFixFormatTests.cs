using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests.Analyzers;

/// <summary>
/// The package's code fixes applied by the SDK's own workspace host, as an IDE would load them:
/// <c>dotnet format analyzers --diagnostics ID</c> on a consumer of the packed package, then a build in which that
/// diagnostic is gone and the fixed code is what the fix promises. One consumer, one restore and one build for all rows.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class CodeFixFormatTests(PackedPackages packages)
{
    /// <summary>Rule, the code that draws it (members of a class), and text the fixed file must contain. One line per fix.</summary>
    private static readonly (string Id, string Snippet, string Fixed)[] Rows =
    [
        ("TG3002", "[HotPath] public int M() { var scratch = new int[8]; scratch[1] = 3; return scratch[1]; }", "Span<int> scratch = stackalloc int[8];"),
        ("TG3010", "System.Func<int, int>? _f; [HotPath] public void M() => _f = x => x + 1;", "_f = static x => x + 1;"),
        ("TG4006", "[Secret] private readonly byte[] _key = new byte[4]; private byte[] _copy = new byte[4]; public void M() => _copy = _key;", "[Secret]\n    private byte[] _copy"),
        ("TG4007", "[Secret] private readonly byte[] _key = new byte[4]; public bool M(byte[] guess) => System.Linq.Enumerable.SequenceEqual(_key, guess);", "CryptographicOperations.FixedTimeEquals(_key, guess)"),
        ("TG1011", "[R2P2Service] public interface IService { long Add(long a, long b); }", "public sealed partial class C"),
        ("TG2012", "[TrustDomain] public interface IDomain { int Add(int a, int b); }", "public sealed partial class C"),
    ];

    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static (Dictionary<string, string> Files, List<SarifResult> After, string Log)? s_outcome;

    public static TheoryData<string> Fixes()
    {
        var data = new TheoryData<string>();
        foreach (var row in Rows)
        {
            data.Add(row.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixes))]
    public async Task Dotnet_format_applies_the_fix_and_the_result_builds_without_the_diagnostic(string id)
    {
        var row = Rows.Single(r => r.Id == id);
        var (files, after, log) = await FormatOnceAsync(packages);

        var text = files[id].Replace("\r\n", "\n", System.StringComparison.Ordinal);
        Assert.True(text.Contains(row.Fixed, System.StringComparison.Ordinal), $"{id}: the fixed file does not contain '{row.Fixed}':\n{text}\n{log}");
        Assert.DoesNotContain(after, r => r.RuleId == id && !r.SuppressedInSource);
        Assert.DoesNotContain(after, r => r.Level == "error");
    }

    private static async Task<(Dictionary<string, string>, List<SarifResult>, string)> FormatOnceAsync(PackedPackages packages)
    {
        await s_gate.WaitAsync();
        try
        {
            if (s_outcome is { } done)
            {
                return done;
            }

            using var consumer = new AnalyzerConsumer(packages);
            foreach (var (id, snippet, _) in Rows)
            {
                consumer.WriteFile(id + ".cs", $"using System;\nusing System.Security.Cryptography;\nusing TailGuard;\n\nnamespace Fixes.{id};\n\npublic sealed class C\n{{\n    {snippet}\n}}\n");
            }

            var restore = await consumer.RestoreAsync();
            Assert.True(restore.Succeeded, restore.ToString());
            // One run per rule, as a user fixing one diagnostic would type it.
            var log = new System.Text.StringBuilder();
            foreach (var (id, _, _) in Rows)
            {
                var format = await DotNetCli.RunAsync(consumer.Path,
                    "format", "analyzers", "Consumer.csproj", "--no-restore", "--severity", "info", "-v", "diag", "--diagnostics", id);
                Assert.True(format.Succeeded, format.ToString());
                log.Append(format.Output);
            }

            var build = await consumer.BuildAsync();
            Assert.True(build.Succeeded, build.ToString());
            var files = Rows.ToDictionary(r => r.Id, r => consumer.ReadFile(r.Id + ".cs"));
            s_outcome = (files, SarifLog.Read(consumer.SarifPath), log.ToString());
            return s_outcome.Value;
        }
        finally
        {
            s_gate.Release();
        }
    }
}
