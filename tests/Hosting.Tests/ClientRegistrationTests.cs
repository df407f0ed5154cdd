using System;
using System.Collections.Generic;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TailGuard.R2P2;

namespace TailGuard.Hosting.Tests;

/// <summary>Two clients of the same typed client to two services: told apart by name, never the last registration silently.</summary>
public sealed class ClientRegistrationTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_named_clients_of_one_type_reach_their_own_servers_through_the_factory_and_as_keyed_services()
    {
        // Two servers of the same contract that answer differently, so each answer says which server it came from.
        using var first = UdpServer(new OffsetCalculator(1000));
        using var second = UdpServer(new OffsetCalculator(2000));
        var builder = TestHost.CreateBuilder(new CapturedLogs(), new Dictionary<string, string?>
        {
            ["TailGuard:Clients:Pricing:Server"] = first.LocalAddress.ToString(),
            ["TailGuard:Clients:Billing:Server"] = second.LocalAddress.ToString(),
        });
        builder.Services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client), "Pricing").BindConfiguration("TailGuard:Clients:Pricing");
        builder.Services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client), "Billing").BindConfiguration("TailGuard:Clients:Billing");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var factory = host.Services.GetRequiredService<IR2P2ClientFactory<ICalculatorClient>>();
            Assert.Equal(1001, await factory.Get("Pricing").AddAsync(1, 0).AsTask().WaitAsync(s_limit));
            Assert.Equal(2001, await factory.Get("Billing").AddAsync(1, 0).AsTask().WaitAsync(s_limit));
            Assert.Same(factory.Get("Pricing"), factory.Get("Pricing"));
            Assert.Same(factory.Get("Billing"), host.Services.GetRequiredKeyedService<ICalculatorClient>("Billing"));
            Assert.NotSame(factory.Get("Pricing"), factory.Get("Billing"));

            var unknown = Assert.Throws<InvalidOperationException>(() => factory.Get("Shipping"));
            Assert.Contains("'Shipping'", unknown.Message, StringComparison.Ordinal);
            Assert.Contains("'Pricing', 'Billing'", unknown.Message, StringComparison.Ordinal);

            // Without a name the choice is ambiguous: an error naming both, not whichever was registered last.
            var ambiguous = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<ICalculatorClient>());
            Assert.Contains("'Pricing', 'Billing'", ambiguous.Message, StringComparison.Ordinal);
            Assert.Contains("IR2P2ClientFactory", ambiguous.Message, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task The_only_client_of_a_type_is_also_resolved_without_a_name()
    {
        using var server = UdpServer(new OffsetCalculator(0));
        var builder = TestHost.CreateBuilder(new CapturedLogs(), new Dictionary<string, string?> { ["TailGuard:Clients:Calculator:Server"] = server.LocalAddress.ToString() });
        builder.Services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client)).BindConfiguration("TailGuard:Clients:Calculator");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<ICalculatorClient>();
            Assert.Equal(5, await client.AddAsync(2, 3).AsTask().WaitAsync(s_limit));
            Assert.Same(client, host.Services.GetRequiredService<IR2P2ClientFactory<ICalculatorClient>>().Get(nameof(ICalculatorClient)));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Registering_two_clients_under_one_name_fails_at_once()
    {
        var services = new ServiceCollection();
        services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client), "Pricing");
        var error = Assert.Throws<InvalidOperationException>(() => services.AddR2P2Client<ICalculatorClient>(client => new CalculatorClient(client), "Pricing"));
        Assert.Contains("'Pricing'", error.Message, StringComparison.Ordinal);
    }

    private static R2P2Server UdpServer(ICalculator implementation)
        => R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new CalculatorDispatcher(implementation));

    private sealed class OffsetCalculator(int offset) : ICalculator
    {
        public int Add(int a, int b) => offset + a + b;
    }
}
