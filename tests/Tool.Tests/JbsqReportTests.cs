using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace TailGuard.Tool.Tests;

/// <summary>
/// The JBSQ experiment's ideal (benchmarks/scripts/jbsq-report.py, docs/router.md "The experiment"): its Python tests
/// (benchmarks/scripts/test_jbsq_report.py: M/M/c against closed forms, the M/G/c simulation against M/M/c), run here
/// so CI runs them.
/// </summary>
public sealed class JbsqReportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_reports_single_queue_ideal_passes_its_tests()
    {
        var start = new ProcessStartInfo("python3")
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-B", "-m", "unittest", "discover", "-s", "benchmarks/scripts", "-p", "test_jbsq_report.py" })
        {
            start.ArgumentList.Add(argument);
        }

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            output.WriteLine($"SKIPPED: needs python3 on the PATH (the report's language): {error.Message}");
            return;
        }

        using (process)
        {
            var stdout = process!.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            var text = await stdout + await stderr;
            output.WriteLine(text);
            Assert.True(process.ExitCode == 0, text);
            Assert.Contains("OK", text, StringComparison.Ordinal);
        }
    }
}
