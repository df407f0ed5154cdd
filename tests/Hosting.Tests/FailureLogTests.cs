using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;

namespace TailGuard.Hosting.Tests;

/// <summary>
/// The core's failure log (IR2P2FailureLog) reaches ILogger under the host, for servers and clients, rate-limited per
/// kind: the first FailureLogLimit of an interval with their exception, the rest as one warning with their count.
/// </summary>
public sealed class FailureLogTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Server(int failureLogLimit) => new()
    {
        ["TailGuard:Servers:Calculator:Address"] = "127.0.0.1:0",
        ["TailGuard:Servers:Calculator:FailureLogLimit"] = failureLogLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["TailGuard:Servers:Calculator:FailureLogInterval"] = "01:00:00",
    };

    [Fact]
    public async Task A_handler_that_throws_out_of_the_core_is_logged_through_the_servers_failure_log()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Server(failureLogLimit: 10));
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, ThrowingDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var server = host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator");
            using var client = R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(200) });
            // The core catches the handler's exception and sends nothing: the call times out.
            await Assert.ThrowsAsync<R2P2TimeoutException>(() => new CalculatorClient(client).AddAsync(1, 2).AsTask().WaitAsync(s_limit));
            Assert.True(await TestHost.EventuallyAsync(() => logs.Has(1005)), logs.Describe());
            var logged = logs.Entries.First(entry => entry.Id.Id == 1005);
            Assert.Equal(LogLevel.Error, logged.Level);
            Assert.Equal(ThrowingDispatcher.Message, logged.Exception?.Message);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_flood_of_handler_failures_logs_the_limit_with_exceptions_and_the_rest_as_one_counted_warning()
    {
        const int calls = 25;
        const int limit = 3;
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Server(limit));
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();
        await host.StartAsync();
        var server = host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator");
        using (var client = R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint(), new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(10) }))
        {
            var calculator = new CalculatorClient(client);
            for (var i = 0; i < calls; i++)
            {
                var failure = await Assert.ThrowsAsync<R2P2ServiceException>(() => calculator.AddAsync(-1, i).AsTask().WaitAsync(s_limit));
                Assert.Equal(R2P2ServiceStatus.HandlerFailed, failure.Status);
            }
        }

        Assert.Equal(limit, logs.Entries.Count(entry => entry.Id.Id == 1005 && entry.Exception is not null));
        Assert.False(logs.Has(1010), "nothing is summarized before the interval ends or the server stops:\n" + logs.Describe());

        await host.StopAsync(); // closing the server reports what the interval left unlogged
        Assert.Equal(limit, logs.Entries.Count(entry => entry.Id.Id == 1005));
        var summary = Assert.Single(logs.Entries, entry => entry.Id.Id == 1010);
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Contains($"{calls - limit} more Handler failure(s)", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_callback_that_throws_on_the_receive_loop_is_logged_through_the_clients_failure_log()
    {
        var logs = new CapturedLogs();
        var transport = UdpTransport.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?> { ["TailGuard:Clients:Calculator:Server"] = transport.LocalAddress.ToString() });
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>().Configure(options => options.TransportFactory = () => transport);
        builder.Services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client), "Calculator").BindConfiguration("TailGuard:Clients:Calculator");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredKeyedService<R2P2Client>("Calculator");
            var callback = new ThrowingCallback();
            Assert.True(client.TryCall(new byte[] { 0 }, callback, timeout: TimeSpan.FromSeconds(10)));
            Assert.True(await TestHost.EventuallyAsync(() => logs.Has(2002)), logs.Describe());
            var logged = logs.Entries.First(entry => entry.Id.Id == 2002);
            Assert.Equal(LogLevel.Error, logged.Level);
            Assert.Same(callback.Thrown, logged.Exception);
            Assert.Contains("Calculator", logged.Message, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>A dispatcher whose handler throws out of Handle, so the core (not the generated dispatcher) catches it.</summary>
    private sealed class ThrowingDispatcher : IR2P2ServiceDispatcher<ICalculator>
    {
        public const string Message = "planted failure out of Handle";

        public R2P2ServiceDescriptor Service => new CalculatorDispatcher(new Calculator()).Service;

        public static IR2P2ServiceHandler Create(ICalculator implementation, Action<Exception>? handlerFailed) => new ThrowingDispatcher();

        public void Handle(in R2P2Request request, IBufferWriter<byte> response) => throw new InvalidOperationException(Message);
    }

    private sealed class ThrowingCallback : IR2P2CallCallback
    {
        public Exception Thrown { get; } = new InvalidOperationException("planted callback failure");

        public void OnCallCompleted(in R2P2CallCompletion completion) => throw Thrown;
    }
}
