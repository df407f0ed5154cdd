using System;

namespace TailGuard.Transport.Xdp;

/// <summary>An AF_XDP transport could not be set up or used as asked (a busy interface, an unresolved neighbour, a kernel error), with a message that says what and why.</summary>
public class XdpException : Exception
{
    /// <summary>Creates the exception.</summary>
    public XdpException()
        : this("The AF_XDP transport failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and why.</param>
    public XdpException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and why.</param>
    /// <param name="innerException">The cause.</param>
    public XdpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// AF_XDP cannot be used here: the process lacks a privilege (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF, memory-lock limit),
/// the kernel lacks a feature (AF_XDP sockets, bpf(), XDP on this interface), it is not Linux, or another XDP program
/// holds the interface. The message names what is missing. This is the failure the R2P2 factories' UDP fallback
/// (<see cref="XdpFallback.UdpSockets"/>) falls back on; a wrong setting (an unknown interface, a queue it does not
/// have) is an <see cref="ArgumentException"/> and never falls back.
/// </summary>
public sealed class XdpUnavailableException : XdpException
{
    /// <summary>Creates the exception.</summary>
    public XdpUnavailableException()
        : this("AF_XDP is not available here.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing.</param>
    public XdpUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing.</param>
    /// <param name="innerException">The cause.</param>
    public XdpUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
