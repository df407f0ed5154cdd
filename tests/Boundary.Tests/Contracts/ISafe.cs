using System;
using System.IO;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;

namespace TailGuard.Boundary.Tests.Contracts;

/// <summary>A domain that makes a secret of its own and never hands it out, and does things its sandbox forbids on request.</summary>
[TrustDomain]
public interface ISafe
{
    /// <summary>Derives the domain's secret from <paramref name="seed"/> (inside the domain) and keeps it; returns its length.</summary>
    int Generate(long seed);

    /// <summary>SHA-256 of the secret followed by <paramref name="input"/>.</summary>
    void Digest([Bounded(64)] ReadOnlySpan<byte> input, [Bounded(32)] Span<byte> digest);

    /// <summary>Stays in the call for <paramref name="milliseconds"/> (a call in flight), then returns the domain's process id.</summary>
    int Hold(int milliseconds);

    /// <summary>Tries to read a file: the filter refuses the open (EPERM); returns 1 if it read, -1 if it was refused.</summary>
    int TryReadFile();

    /// <summary>Opens a socket, which the filter does not allow: the domain is killed.</summary>
    int OpenSocket();
}

/// <summary>The implementation: what lives in the domain.</summary>
public sealed class Safe : ISafe
{
    private byte[] _secret = [];

    /// <summary>The secret the domain derives from a seed (tests compute it to search for it).</summary>
    public static byte[] SecretFor(long seed) => SHA256.HashData(BitConverter.GetBytes(seed ^ 0x5EC2E75EC2E7L));

    public int Generate(long seed)
    {
        _secret = SecretFor(seed);
        return _secret.Length;
    }

    public void Digest(ReadOnlySpan<byte> input, Span<byte> digest)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(_secret);
        hash.AppendData(input);
        hash.GetHashAndReset(digest);
    }

    public int Hold(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return Environment.ProcessId;
    }

    public int TryReadFile()
    {
        try
        {
            return File.ReadAllBytes("/proc/self/status").Length > 0 ? 1 : 0;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    public int OpenSocket()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        return 1;
    }
}
