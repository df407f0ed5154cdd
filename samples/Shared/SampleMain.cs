using System;
using System.IO;
using System.Net.Sockets;
using System.Threading.Tasks;
using TailGuard.R2P2;

namespace TailGuard.Samples;

/// <summary>
/// Runs a sample's body and turns the failures a user can cause into one line on standard error and an exit code,
/// never a stack trace: bad arguments exit 2; a socket that cannot be opened (port in use, address not on this
/// machine), a server that does not answer, a call that fails, exit 1.
/// </summary>
internal static class SampleMain
{
    /// <summary>Exit code for bad arguments.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a failure at run time.</summary>
    public const int Failure = 1;

    /// <summary>Runs <paramref name="body"/> and returns its exit code, or the failure's.</summary>
    public static async Task<int> RunAsync(string program, Func<Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (UsageException error)
        {
            return Fail(program, error.Message + " Run with --help for the usage.", UsageError);
        }
        catch (SocketException error)
        {
            return Fail(program, Describe(error), Failure);
        }
        catch (ServerUnreachableException error)
        {
            return Fail(program, error.Message, Failure);
        }
        catch (R2P2Exception error)
        {
            return Fail(program, "the call failed: " + error.Message, Failure);
        }
    }

    /// <summary>Prints the usage text on standard output and returns 0 (for <c>--help</c>).</summary>
    public static int Help(string usage)
    {
        Console.Out.WriteLine(usage);
        return 0;
    }

    private static string Describe(SocketException error) => error.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "cannot bind the socket: the address is already in use (another process holds that port).",
        SocketError.AddressNotAvailable => "cannot bind the socket: that address is not one of this machine's.",
        SocketError.AccessDenied => "cannot bind the socket: permission denied (ports below 1024 need privileges).",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "the server's network or host is unreachable.",
        SocketError.ConnectionRefused => "the server's port refused the datagrams (nothing listens there).",
        _ => $"socket error {error.SocketErrorCode}: {error.Message}",
    };

    private static int Fail(string program, string message, int code)
    {
        TextWriter error = Console.Error;
        error.WriteLine($"{program}: {message}");
        return code;
    }
}
