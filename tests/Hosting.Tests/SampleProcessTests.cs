using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Samples.HostedService;

namespace TailGuard.Hosting.Tests;

/// <summary>samples/HostedService as its own process, as an operator runs it: serving, SIGTERM, bad arguments and settings.</summary>
public sealed class SampleProcessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(90);

    private static string SampleAssembly => Path.Combine(Path.GetDirectoryName(typeof(PricingApp).Assembly.Location)!, "HostedService.dll");

    [Fact]
    public async Task The_sample_process_serves_and_stops_gracefully_on_SIGTERM_with_exit_code_0()
    {
        if (!OperatingSystem.IsLinux())
        {
            output.WriteLine("Skipped: needs Linux (the test sends SIGTERM with kill(1)).");
            return;
        }

        using var process = Start("--TailGuard:Servers:Pricing:Address=127.0.0.1:0", "--Reporter:Enabled=false");
        var log = new StringBuilder();
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new Regex(@"R2P2 server Pricing serving \S+ on (?<address>\S+) with", RegexOptions.CultureInvariant);
        process.OutputDataReceived += (_, line) =>
        {
            lock (log)
            {
                log.AppendLine(line.Data);
            }

            if (line.Data is { } data && started.Match(data) is { Success: true } match)
            {
                address.TrySetResult(match.Groups["address"].Value);
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            lock (log)
            {
                log.AppendLine(line.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var served = await address.Task.WaitAsync(s_limit);
            using (var client = R2P2Client.CreateUdp(PacketAddress.Parse(served).ToEndPoint(), new R2P2ClientOptions { Timeout = s_limit }))
            {
                Assert.Equal(5 * 250, await new PricingClient(client).QuoteAsync("widget"u8.ToArray(), 5).AsTask().WaitAsync(s_limit));
            }

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().WaitAsync(s_limit);
            }

            await process.WaitForExitAsync().WaitAsync(s_limit);
            string text;
            lock (log)
            {
                text = log.ToString();
            }

            Assert.True(process.ExitCode == 0, text);
            Assert.Contains("draining", text, StringComparison.Ordinal);
            Assert.Contains("drained: every admitted request finished", text, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task Help_prints_the_settings_and_exits_0()
    {
        var result = await DotNetCli.RunAsync(AppContext.BaseDirectory, s_limit, SampleAssembly, "--help");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("--TailGuard:Servers:Pricing:Address", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_argument_fails_in_one_line_with_exit_code_2()
    {
        var result = await DotNetCli.RunAsync(AppContext.BaseDirectory, s_limit, SampleAssembly, "--port", "9000");
        result.AssertFailedInOneLine(2, "'--port' is not a setting");
    }

    [Fact]
    public async Task An_invalid_setting_fails_the_start_in_one_line_with_exit_code_1()
    {
        var result = await DotNetCli.RunAsync(AppContext.BaseDirectory, s_limit, SampleAssembly, "--TailGuard:Servers:Pricing:Address=localhost:9000", "--Reporter:Enabled=false");
        result.AssertFailedInOneLine(1, "R2P2 server 'Pricing': Address 'localhost:9000' is not an IP address and port");
    }

    private static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(SampleAssembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBuildExtensionsPath");
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }
}
