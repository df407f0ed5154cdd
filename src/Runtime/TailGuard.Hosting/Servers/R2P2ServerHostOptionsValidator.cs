using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>Checks a server's settings when the host starts, naming the server and the setting in every failure.</summary>
internal sealed class R2P2ServerHostOptionsValidator : IValidateOptions<R2P2ServerHostOptions>
{
    public ValidateOptionsResult Validate(string? name, R2P2ServerHostOptions options)
    {
        var failures = new List<string>();
        var server = $"R2P2 server '{name}'";
        if (options.TransportFactory is null)
        {
            if (string.IsNullOrWhiteSpace(options.Address))
            {
                failures.Add($"{server}: Address is required (an address and port such as 0.0.0.0:9000 or [::]:9000).");
            }
            else if (!PacketAddress.TryParse(options.Address, out _))
            {
                failures.Add($"{server}: Address '{options.Address}' is not an IP address and port such as 0.0.0.0:9000 or [::]:9000 (host names are not resolved).");
            }
        }

        if (options.ReceiveLoops is < 1 or > 64)
        {
            failures.Add($"{server}: ReceiveLoops must be between 1 and 64; it is {options.ReceiveLoops}.");
        }
        else if (options.ReceiveLoops > 1 && !OperatingSystem.IsLinux())
        {
            failures.Add($"{server}: ReceiveLoops above 1 needs SO_REUSEPORT on Linux.");
        }

        if (options.PayloadSize is { } payload && payload is < 64 or > 65_000)
        {
            failures.Add($"{server}: PayloadSize must be between 64 and 65000 bytes; it is {payload}.");
        }

        if (options.MaxRequestBytes is < 1)
        {
            failures.Add($"{server}: MaxRequestBytes must be positive; it is {options.MaxRequestBytes}.");
        }

        if (options.SocketBufferBytes is < 4096)
        {
            failures.Add($"{server}: SocketBufferBytes must be at least 4096; it is {options.SocketBufferBytes}.");
        }

        if (options.MaxInFlight is < 1)
        {
            failures.Add($"{server}: MaxInFlight must be positive (leave it out to admit every request); it is {options.MaxInFlight}.");
        }

        if (options.ResponseTimeout is { } response && response <= TimeSpan.Zero)
        {
            failures.Add($"{server}: ResponseTimeout must be positive; it is {response}.");
        }

        if (options.DrainTimeout < TimeSpan.Zero)
        {
            failures.Add($"{server}: DrainTimeout must not be negative; it is {options.DrainTimeout}.");
        }

        if (!(options.DropWarningRate >= 0))
        {
            failures.Add($"{server}: DropWarningRate must be zero or more; it is {options.DropWarningRate}.");
        }

        if (options.DropCheckInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{server}: DropCheckInterval must be at least 100 ms; it is {options.DropCheckInterval}.");
        }

        FailureLogSettings.Validate(server, options.FailureLogLimit, options.FailureLogInterval, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
