using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Threading.Tasks;

namespace TailGuard.Samples.Tests;

/// <summary>A sample built with this test project, run as its own process (<c>dotnet Sample.dll args</c>).</summary>
internal sealed class SampleProgram(string name)
{
    // Generous: a hang (a sample waiting out every timeout) fails the test instead of stalling the run.
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(2);

    private static readonly string s_configuration = typeof(SampleProgram).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SampleConfiguration").Value!;

    public static SampleProgram KeyValue { get; } = new("KeyValue");

    public static SampleProgram ConfidentialKeyValue { get; } = new("ConfidentialKeyValue");

    public static SampleProgram Vault { get; } = new("Vault");

    public string Name => name;

    public string Assembly => RepositoryRoot.Combine("samples", name, "bin", s_configuration, "net10.0", name + ".dll");

    public Task<DotNetResult> RunAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Assembly), $"{Assembly} was not built (the test project builds the samples it references).");
        return DotNetCli.RunAsync(RepositoryRoot.Path, s_limit, [Assembly, .. arguments]);
    }
}

/// <summary>A UDP port on 127.0.0.1 that this test holds: in use for anyone else, and silent (nothing ever answers).</summary>
internal sealed class SilentPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public SilentPort() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public void Dispose() => _socket.Dispose();

    /// <summary>A port nothing listens on: bound by the kernel's choice, then released.</summary>
    public static int Unused()
    {
        using var port = new SilentPort();
        return port.Port;
    }
}
