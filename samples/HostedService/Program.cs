using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TailGuard.Samples.HostedService;

/// <summary>Runs the pricing service until Ctrl+C or SIGTERM, then stops it gracefully.</summary>
public static class Program
{
    private static readonly string[] s_sections = ["TailGuard:", "Pricing:", "Reporter:", "Logging:", "OpenTelemetry:"];

    private const string Usage = """
        HostedService: an R2P2 pricing service on the .NET Generic Host (docs/hosting.md).

        Usage: dotnet run --project samples/HostedService [-- --Setting=value ...]

        Settings come from appsettings.json, environment variables and the command line, for example:
          --TailGuard:Servers:Pricing:Address=127.0.0.1:9000   where the server listens
          --TailGuard:Servers:Pricing:DrainTimeout=00:00:05     how long a stop waits for requests in flight
          --TailGuard:Clients:Pricing:Server=127.0.0.1:9000     where the built-in reporter sends
          --Reporter:Enabled=false                              do not call the server from this process
          --OpenTelemetry:Console=true                          print metrics and spans to the console
        Ctrl+C (or SIGTERM) stops gracefully: new requests are refused with DROP, those in flight finish.
        """;

    /// <summary>Entry point.</summary>
    /// <param name="args">Settings overrides, or --help.</param>
    /// <returns>0 after a clean stop, 1 when the service could not start, 2 for bad arguments.</returns>
    public static async Task<int> Main(string[] args)
    {
        if (args.Any(static a => a is "--help" or "-h" or "-?"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (args.FirstOrDefault(static a => !IsSetting(a)) is { } bad)
        {
            Console.Error.WriteLine($"HostedService: '{bad}' is not a setting such as --TailGuard:Servers:Pricing:Address=127.0.0.1:9000 (see --help).");
            return 2;
        }

        try
        {
            var builder = PricingApp.CreateBuilder(args);

            // A failed start is reported below in one line; the host would also log it with a stack trace.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
            using var host = builder.Build();
            await host.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (OptionsValidationException exception)
        {
            Console.Error.WriteLine("HostedService: invalid settings: " + string.Join(" ", exception.Failures));
            return 1;
        }
        catch (InvalidOperationException exception)
        {
            Console.Error.WriteLine("HostedService: " + exception.Message);
            return 1;
        }
        catch (AggregateException exception)
        {
            // Several services failed to start: one line with each reason.
            Console.Error.WriteLine("HostedService: " + string.Join(" ", exception.Flatten().InnerExceptions.Select(static e => e.Message)));
            return 1;
        }
    }

    private static bool IsSetting(string argument)
        => argument.StartsWith("--", StringComparison.Ordinal)
           && argument.Contains('=', StringComparison.Ordinal)
           && s_sections.Any(section => argument.AsSpan(2).StartsWith(section, StringComparison.OrdinalIgnoreCase));
}
