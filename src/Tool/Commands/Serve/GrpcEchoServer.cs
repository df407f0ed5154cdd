using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TailGuard.Tool.Cli;
using TailGuard.Tool.Grpc;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// The gRPC baseline: a unary echo on ASP.NET Core's Kestrel, HTTP/2 without TLS (h2c), as plain as a gRPC service
/// gets, so the load generator compares TailGuard with what a .NET team runs today.
/// </summary>
internal sealed class GrpcEchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcEchoServer(WebApplication app, IPEndPoint address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where the server listens (the actual port when 0 was asked for).</summary>
    public IPEndPoint Address { get; }

    public static async Task<GrpcEchoServer> StartAsync(IPEndPoint listen, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen, endpoint => endpoint.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException error)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw SocketErrors.Listen(listen, error);
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        return new GrpcEchoServer(app, new IPEndPoint(listen.Address, port));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Answers with the request message itself.</summary>
    private sealed class EchoService : Echo.EchoBase
    {
        public override Task<EchoMessage> Echo(EchoMessage request, ServerCallContext context) => Task.FromResult(request);
    }
}
