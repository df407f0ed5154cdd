using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TailGuard.R2P2;
using TailGuardService;

// The host and a client in one program. Bad arguments exit 2, failures (a port in use, no server, a failed call) exit 1,
// each with one line on standard error.
const string Usage = """
    usage:
      TailGuardService                      serves on an ephemeral loopback port, calls it once, exits
      TailGuardService serve [--port P]     serves on 127.0.0.1:P (default 9100) until Ctrl+C
      TailGuardService call [--port P] [--timeout-ms MS]
                                            calls the server at 127.0.0.1:P (default 9100; timeout default 2000 ms)
      TailGuardService --help
    """;

try
{
    string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "demo";
    Dictionary<string, string> options = Options(args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args, command);
    if (options.ContainsKey("--help"))
    {
        Console.WriteLine(Usage);
        return 0;
    }

    return command switch
    {
        "serve" => Serve(Port(options)),
        "call" => await CallAsync(new IPEndPoint(IPAddress.Loopback, Port(options)), Timeout(options)),
        "demo" => await DemoAsync(),
        _ => throw new ArgumentException($"unknown command '{command}' (commands: serve, call)."),
    };
}
catch (ArgumentException error)
{
    Console.Error.WriteLine($"TailGuardService: {error.Message} Run with --help for the usage.");
    return 2;
}
catch (SocketException error)
{
    Console.Error.WriteLine($"TailGuardService: socket error ({error.SocketErrorCode}): {error.Message}");
    return 1;
}
catch (R2P2TimeoutException)
{
    Console.Error.WriteLine("TailGuardService: the server did not answer in time. Is it running on that port?");
    return 1;
}
catch (R2P2Exception error)
{
    Console.Error.WriteLine($"TailGuardService: the call failed: {error.Message}");
    return 1;
}

static int Serve(int port)
{
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, port), new TailGuardServiceDispatcher(new TailGuardServiceHandler()));
    Console.WriteLine($"serving on {server.LocalAddress}; Ctrl+C stops");
    stop.Token.WaitHandle.WaitOne();
    return 0;
}

static async Task<int> DemoAsync()
{
    await using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new TailGuardServiceDispatcher(new TailGuardServiceHandler()));
    return await CallAsync(server.LocalAddress.ToEndPoint(), TimeSpan.FromSeconds(2));
}

static async Task<int> CallAsync(IPEndPoint server, TimeSpan timeout)
{
    await using var r2p2 = R2P2Client.CreateUdp(server, new R2P2ClientOptions { Timeout = timeout });
    var client = new TailGuardServiceClient(r2p2);
    long sum = await client.AddAsync(40, 2);
    byte[] reply = new byte[256];
    int length = await client.ReverseAsync("stressed"u8.ToArray(), reply);
    Console.WriteLine($"Add(40, 2) = {sum}; Reverse(\"stressed\") = \"{System.Text.Encoding.UTF8.GetString(reply, 0, length)}\"");
    return 0;
}

// "--name value" pairs and --help; anything else is an error.
static Dictionary<string, string> Options(string[] args, string command)
{
    string[] valued = command switch { "serve" => ["--port"], "call" => ["--port", "--timeout-ms"], _ => [] };
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i] is "--help" or "-h")
        {
            options["--help"] = "";
        }
        else if (Array.IndexOf(valued, args[i]) >= 0)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }

            options[args[i]] = args[++i];
        }
        else
        {
            throw new ArgumentException(args[i].StartsWith('-') ? $"unknown option '{args[i]}'." : $"unexpected argument '{args[i]}'.");
        }
    }

    return options;
}

static int Port(Dictionary<string, string> options) => Number(options, "--port", 9100, 1, 65535);

static TimeSpan Timeout(Dictionary<string, string> options) => TimeSpan.FromMilliseconds(Number(options, "--timeout-ms", 2000, 1, 600_000));

static int Number(Dictionary<string, string> options, string name, int fallback, int min, int max)
{
    if (!options.TryGetValue(name, out string? text))
    {
        return fallback;
    }

    return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
        ? value
        : throw new ArgumentException($"{name} must be a whole number from {min} to {max} (got '{text}').");
}
