using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TailGuard.R2P2;

namespace TailGuard.Hosting.Tests;

/// <summary>AddR2P2Server: nothing before the start, serving after it, a graceful stop, logs and health checks.</summary>
public sealed class ServerHostingTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Loopback(string server = "Calculator") => new()
    {
        [$"TailGuard:Servers:{server}:Address"] = "127.0.0.1:0",
    };

    [Fact]
    public async Task Building_the_host_binds_nothing_and_starts_no_loop_until_StartAsync()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Loopback());
        builder.Services.AddSingleton<ICalculator, Calculator>();
        var transportsCreated = 0;
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator")
            .BindConfiguration("TailGuard:Servers:Calculator")
            .Configure(options => options.TransportFactory = () =>
            {
                transportsCreated++;
                return UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            });

        using var host = builder.Build();
        var server = host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator");
        Assert.Equal(R2P2ServerHostState.NotStarted, server.State);
        Assert.Null(server.Server);
        Assert.Equal(0, transportsCreated);
        Assert.Throws<InvalidOperationException>(() => server.LocalAddress);

        await host.StartAsync();
        Assert.Equal(1, transportsCreated);
        Assert.Equal(R2P2ServerHostState.Running, server.State);
        Assert.True(server.Server!.ReceiveLoopIterations >= 0);
        await host.StopAsync();
        Assert.Equal(R2P2ServerHostState.Stopped, server.State);
    }

    [Fact]
    public async Task A_started_server_serves_the_implementation_from_DI_and_a_typed_client_from_DI_calls_it()
    {
        var logs = new CapturedLogs();
        // The server's socket is bound up front so the client's settings can name its port.
        var transport = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?> { ["TailGuard:Clients:Calculator:Server"] = transport.LocalAddress.ToString() });
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>().Configure(options => options.TransportFactory = () => transport);
        builder.Services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client)).BindConfiguration("TailGuard:Clients:Calculator");

        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var calculator = host.Services.GetRequiredService<ICalculatorClient>();
            Assert.Equal(5, await calculator.AddAsync(2, 3).AsTask().WaitAsync(s_limit));
            var started = Assert.Single(logs.Entries, entry => entry.Id.Id == 1000);
            var address = host.Services.GetRequiredKeyedService<R2P2ServerHost>("ICalculator").LocalAddress.ToString();
            Assert.Contains(address, started.Message, StringComparison.Ordinal);
            Assert.Contains(typeof(ICalculator).FullName!, started.Message, StringComparison.Ordinal);
            Assert.True(logs.Has(2000), logs.Describe());
        }
        finally
        {
            await host.StopAsync();
        }

        Assert.True(logs.Has(1001) && logs.Has(1002) && logs.Has(1004), logs.Describe());
    }

    [Fact]
    public async Task A_handler_failure_is_logged_with_its_exception_and_the_client_sees_HandlerFailed()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Loopback());
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var address = host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator").LocalAddress;
            using var client = R2P2Client.CreateUdp(address.ToEndPoint());
            var failure = await Assert.ThrowsAsync<R2P2ServiceException>(() => new CalculatorClient(client).AddAsync(-1, 0).AsTask().WaitAsync(s_limit));
            Assert.Equal(R2P2ServiceStatus.HandlerFailed, failure.Status);
            Assert.True(await TestHost.EventuallyAsync(() => logs.Has(1005)), logs.Describe());
            var logged = logs.Entries.First(entry => entry.Id.Id == 1005);
            Assert.Equal(LogLevel.Error, logged.Level);
            Assert.Equal("planted handler failure", logged.Exception?.Message);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Refusals_above_the_configured_rate_are_logged_as_a_warning_not_per_packet()
    {
        var logs = new CapturedLogs();
        var settings = Loopback();
        settings["TailGuard:Servers:Calculator:MaxInFlight"] = "1";
        settings["TailGuard:Servers:Calculator:ReceiveLoops"] = "4";
        settings["TailGuard:Servers:Calculator:DropWarningRate"] = "1";
        settings["TailGuard:Servers:Calculator:DropCheckInterval"] = "00:00:00.200";
        var builder = TestHost.CreateBuilder(logs, settings);
        builder.Services.AddSingleton<ICalculator>(new Calculator { Delay = TimeSpan.FromMilliseconds(50) });
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();
        var running = System.Diagnostics.Stopwatch.StartNew();
        await host.StartAsync();
        try
        {
            var server = host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator");

            // Handlers run on their loop's thread, so requests overlap only across loops: eight client sockets spread
            // over the four loops (the kernel hashes each source to one), and the admission bound of 1 refuses the overlap.
            var clients = Enumerable.Range(0, 8).Select(_ => R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = s_limit })).ToArray();
            try
            {
                var calls = clients.SelectMany(client => Enumerable.Range(0, 4).Select(i => new CalculatorClient(client).AddAsync(i, 1).AsTask())).ToArray();
                await Task.WhenAll(calls.Select(call => call.ContinueWith(static _ => { }, TaskScheduler.Default))).WaitAsync(s_limit);
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }

            var drops = server.Server!.Statistics.Drops;
            Assert.True(drops >= 2, $"the overlapping requests should have met the admission bound ({drops} refused)");
            Assert.True(await TestHost.EventuallyAsync(() => logs.Has(1007)), logs.Describe());
            var warnings = logs.Entries.Count(entry => entry.Id.Id == 1007);
            Assert.True(warnings <= (running.Elapsed.TotalSeconds / 0.2) + 1, $"{warnings} warnings: at most one per check, never one per refusal");
            Assert.Contains(logs.Entries, entry => entry.Id.Id == 1007 && entry.Level == LogLevel.Warning && entry.Message.Contains("Calculator", StringComparison.Ordinal));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Health_is_unhealthy_before_the_start_healthy_while_serving_and_unhealthy_after_the_stop()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Loopback());
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        builder.Services.AddHealthChecks().AddR2P2Server("Calculator");
        using var host = builder.Build();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);
        await host.StartAsync();
        var serving = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, serving.Status);
        Assert.Equal(host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator").LocalAddress.ToString(), serving.Entries["r2p2-server-Calculator"].Data["address"]);
        await host.StopAsync();
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);
    }

    [Fact]
    public void Registering_two_servers_under_one_name_fails_at_once()
    {
        var services = new ServiceCollection();
        services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator");
        var error = Assert.Throws<InvalidOperationException>(() => services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator"));
        Assert.Contains("'Calculator'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_without_a_registered_implementation_fails_the_start_with_a_message_that_says_what_to_register()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Loopback());
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("AddSingleton<ICalculator,", error.Message, StringComparison.Ordinal);
        Assert.Equal(R2P2ServerHostState.Stopped, host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator").State);
        Assert.True(logs.Has(1008), logs.Describe());
    }

    [Fact]
    public async Task An_address_already_in_use_fails_the_start_naming_the_server_and_the_address()
    {
        using var taken = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = taken.LocalEndPoint!.ToString();
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?> { ["TailGuard:Servers:Calculator:Address"] = address });
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("'Calculator'", error.Message, StringComparison.Ordinal);
        Assert.Contains(address!, error.Message, StringComparison.Ordinal);
    }
}
