using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TailGuard.Hosting.Tests;

/// <summary>Settings from configuration are checked when the host starts, with errors that name the server and the setting.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData(null, null, "R2P2 server 'Calculator': Address is required")]
    [InlineData("localhost:9000", null, "Address 'localhost:9000' is not an IP address and port")]
    [InlineData("127.0.0.1", null, "Address '127.0.0.1' is not an IP address and port")]
    [InlineData("127.0.0.1:0", "ReceiveLoops=0", "ReceiveLoops must be between 1 and 64; it is 0")]
    [InlineData("127.0.0.1:0", "DrainTimeout=-00:00:01", "DrainTimeout must not be negative")]
    [InlineData("127.0.0.1:0", "MaxInFlight=0", "MaxInFlight must be positive")]
    [InlineData("127.0.0.1:0", "PayloadSize=9", "PayloadSize must be between 64 and 65000 bytes; it is 9")]
    [InlineData("127.0.0.1:0", "ResponseTimeout=00:00:00", "ResponseTimeout must be positive")]
    public async Task Invalid_server_settings_stop_the_start_with_an_error_naming_the_server_and_the_setting(string? address, string? setting, string expected)
    {
        var settings = new Dictionary<string, string?> { ["TailGuard:Servers:Calculator:Address"] = address };
        if (setting is not null)
        {
            var parts = setting.Split('=');
            settings["TailGuard:Servers:Calculator:" + parts[0]] = parts[1];
        }

        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, settings);
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(R2P2ServerHostState.NotStarted, host.Services.GetRequiredKeyedService<R2P2ServerHost>("Calculator").State);
    }

    [Fact]
    public async Task Every_invalid_server_setting_is_reported_at_once()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?>
        {
            ["TailGuard:Servers:Calculator:Address"] = "nowhere",
            ["TailGuard:Servers:Calculator:ReceiveLoops"] = "0",
        });
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal(2, System.Linq.Enumerable.Count(error.Failures));
    }

    [Fact]
    public async Task A_setting_that_is_not_a_number_stops_the_start_naming_its_configuration_path()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?>
        {
            ["TailGuard:Servers:Calculator:Address"] = "127.0.0.1:0",
            ["TailGuard:Servers:Calculator:ReceiveLoops"] = "many",
        });
        builder.Services.AddSingleton<ICalculator, Calculator>();
        builder.Services.AddR2P2Server<ICalculator, CalculatorDispatcher>("Calculator").BindConfiguration("TailGuard:Servers:Calculator");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("TailGuard:Servers:Calculator:ReceiveLoops", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "R2P2 client 'Calculator': Server is required")]
    [InlineData("server.example:9000", "Server 'server.example:9000' is not an IP address and port")]
    [InlineData("127.0.0.1:0", "has port 0")]
    public async Task Invalid_client_settings_stop_the_start_before_any_client_is_resolved(string? server, string expected)
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?> { ["TailGuard:Clients:Calculator:Server"] = server });
        builder.Services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client), "Calculator").BindConfiguration("TailGuard:Clients:Calculator");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.False(logs.Has(2000), "no client may be created for invalid settings");
    }

    [Fact]
    public async Task An_invalid_trust_domain_core_stops_the_start()
    {
        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?> { ["Domains:Counter:Core"] = "-1" });
        builder.Services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter()).BindConfiguration("Domains:Counter");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Trust domain 'ICounter': Core must be zero or more; it is -1", error.Message, StringComparison.Ordinal);
    }
}
