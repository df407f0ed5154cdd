using System.Net;
using TailGuard.R2P2;
using TailGuardService;

// The host and a client in one program:
//   dotnet run                      serves on an ephemeral loopback port, calls it once, exits
//   dotnet run -- serve [port]      serves on 127.0.0.1:port (default 9100) until Ctrl+C
//   dotnet run -- call [port]       calls the server at 127.0.0.1:port
string command = args.Length > 0 ? args[0] : "demo";
int port = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 9100;
switch (command)
{
    case "serve":
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        await using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, port), new TailGuardServiceDispatcher(new TailGuardServiceHandler()));
        Console.WriteLine($"serving on {server.LocalAddress}; Ctrl+C stops");
        stop.Token.WaitHandle.WaitOne();
        return 0;
    }

    case "call":
        return await CallAsync(new IPEndPoint(IPAddress.Loopback, port));

    case "demo":
    {
        await using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new TailGuardServiceDispatcher(new TailGuardServiceHandler()));
        return await CallAsync(server.LocalAddress.ToEndPoint());
    }

    default:
        Console.Error.WriteLine("usage: TailGuardService [serve [port] | call [port]]");
        return 2;
}

static async Task<int> CallAsync(IPEndPoint server)
{
    await using var r2p2 = R2P2Client.CreateUdp(server, new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(2) });
    var client = new TailGuardServiceClient(r2p2);
    long sum = await client.AddAsync(40, 2);
    byte[] reply = new byte[256];
    int length = await client.ReverseAsync("stressed"u8.ToArray(), reply);
    Console.WriteLine($"Add(40, 2) = {sum}; Reverse(\"stressed\") = \"{System.Text.Encoding.UTF8.GetString(reply, 0, length)}\"");
    return 0;
}
