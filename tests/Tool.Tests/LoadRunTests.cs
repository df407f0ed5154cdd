using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using TailGuard.Tool.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Tool.Tests;

/// <summary>
/// The tool as deployed: servers in their own processes, `tailguard load` comparing R2P2 with the gRPC baseline in
/// one run and writing every output; a server that stops by itself.
/// </summary>
[Collection(nameof(ProcessTests))]
public sealed class LoadRunTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tailguard-load-").FullName;

    [Fact]
    public async Task One_run_loads_r2p2_and_the_grpc_baseline_and_writes_table_csv_json_and_plots()
    {
        using var r2p2 = ToolProcess.Start(null, "serve", "--listen", "127.0.0.1:0");
        using var grpc = ToolProcess.Start(null, "serve", "--grpc", "--listen", "127.0.0.1:0");
        var r2p2Address = await r2p2.WaitForAddressAsync("R2P2 echo on");
        var grpcAddress = await grpc.WaitForAddressAsync("gRPC echo on");

        var csv = Path.Combine(_folder, "points.csv");
        var json = Path.Combine(_folder, "run.json");
        var png = Path.Combine(_folder, "plot.png");
        var svg = Path.Combine(_folder, "plot.svg");
        var result = await ToolRun.InProcessAsync(
            "load", "--target", $"r2p2://{r2p2Address}", "--target", $"grpc://{grpcAddress}", "--rates", "300,600",
            "--duration", "1s", "--warmup", "300ms", "--csv", csv, "--json", json, "--plot", png, "--plot", svg);
        output.WriteLine(result.ToString());

        // 0 when every check passed, 3 when the busy machine failed one: both are complete runs.
        Assert.True(result.ExitCode is 0 or 3, result.ToString());
        Assert.True(result.HasNoStackTrace);
        Assert.Contains("load average", result.Output, StringComparison.Ordinal);
        Assert.Contains("KernelSoftware receive timestamps", result.Output, StringComparison.Ordinal);
        Assert.Contains("MonotonicClock receive timestamps", result.Output, StringComparison.Ordinal);

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var sweeps = document.RootElement.GetProperty("sweeps").EnumerateArray().ToArray();
        Assert.Equal(2, sweeps.Length);
        Assert.StartsWith("r2p2://", sweeps[0].GetProperty("target").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("grpc://", sweeps[1].GetProperty("target").GetString(), StringComparison.Ordinal);
        foreach (var sweep in sweeps)
        {
            var points = sweep.GetProperty("points").EnumerateArray().ToArray();
            Assert.Equal(new[] { 300.0, 600.0 }, points.Select(p => p.GetProperty("targetRate").GetDouble()));
            foreach (var point in points)
            {
                var sent = point.GetProperty("sent").GetInt64();
                Assert.True(sent > 0);
                Assert.Equal(sent, point.GetProperty("ok").GetInt64() + point.GetProperty("timeouts").GetInt64() + point.GetProperty("drops").GetInt64() + point.GetProperty("wrongResponses").GetInt64() + point.GetProperty("failures").GetInt64());
                Assert.True(point.GetProperty("ok").GetInt64() > 0);
                Assert.Contains(point.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "inter-arrival");
                Assert.NotEmpty(point.GetProperty("latency").GetProperty("buckets").EnumerateArray());
            }
        }

        var rows = await File.ReadAllLinesAsync(csv);
        Assert.Equal(5, rows.Length); // header + 2 targets x 2 rates
        Assert.StartsWith("target,mode,target_rate,achieved_rate,throughput", rows[0], StringComparison.Ordinal);

        var pngBytes = await File.ReadAllBytesAsync(png);
        Assert.True(pngBytes.Length > 10_000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, pngBytes[..4]);
        var svgText = await File.ReadAllTextAsync(svg);
        Assert.Contains("<svg", svgText, StringComparison.Ordinal);
        Assert.Contains("grpc://", svgText, StringComparison.Ordinal); // the legend names both targets
    }

    [Fact]
    public async Task A_sweep_measures_capacity_first_and_visits_fractions_of_it()
    {
        using var r2p2 = ToolProcess.Start(null, "serve", "--listen", "127.0.0.1:0");
        var address = await r2p2.WaitForAddressAsync("R2P2 echo on");
        var json = Path.Combine(_folder, "sweep.json");
        var result = await ToolRun.InProcessAsync(
            "load", "--target", $"r2p2://{address}", "--sweep", "10%..20%", "--capacity-duration", "1s", "--duration", "1s", "--warmup", "200ms", "--json", json);
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode is 0 or 3, result.ToString());

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var sweep = document.RootElement.GetProperty("sweeps")[0];
        var capacity = sweep.GetProperty("capacity").GetDouble();
        Assert.True(capacity > 0);
        var rates = sweep.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("targetRate").GetDouble()).ToArray();
        Assert.Equal(2, rates.Length);
        Assert.Equal(0.1 * capacity, rates[0], 3);
        Assert.Equal(0.2 * capacity, rates[1], 3);
        Assert.Contains("capacity", result.Output + File.ReadAllText(json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_stops_by_itself_after_its_duration_and_reports_what_it_served()
    {
        using var server = ToolProcess.Start(null, "serve", "--listen", "127.0.0.1:0", "--duration", "4s");
        var address = await server.WaitForAddressAsync("R2P2 echo on");
        var ping = await ToolRun.InProcessAsync("ping", "--server", address, "--count", "100", "--warmup", "0");
        Assert.True(ping.ExitCode == 0, ping.ToString());
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("served 100 responses, 0 drops", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sending_thread_of_a_fresh_process_allocates_nothing_on_its_first_point()
    {
        // A process of its own: what a first point pays once per process (a library's static tables, say) shows only
        // there, and the generator's own tests share a process where it was paid long ago (docs/load.md, "The sending thread").
        using var r2p2 = ToolProcess.Start(null, "serve", "--listen", "127.0.0.1:0");
        var address = await r2p2.WaitForAddressAsync("R2P2 echo on");

        // The sender stalls 20 ms of every 100 on purpose: the bursts after the warm-up's stalls fill the request pool
        // to its in-flight limit (4) before the window, so a stall of this busy machine's making finds nothing left to
        // grow, and the lateness check fails every time, so the report states what the senders allocated.
        using var load = ToolProcess.Start(
            null, "load", "--target", $"r2p2://{address}", "--rates", "1000", "--duration", "1s", "--warmup", "500ms",
            "--connections", "1", "--latency-connections", "1", "--max-in-flight", "4", "--stall-sender", "20ms/100ms");
        var exit = await load.WaitForExitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine(load.Output);
        Assert.Equal(3, exit); // a point failed a self-check (lateness, on purpose)

        var allocated = System.Text.RegularExpressions.Regex.Match(load.Output, @"(\d+) B allocated by the senders");
        Assert.True(allocated.Success, "the report says what the senders allocated");
        Assert.Equal("0", allocated.Groups[1].Value);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
