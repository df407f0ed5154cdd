using System;

namespace TailGuard.Tyche;

/// <summary>A monitor call or a simulated memory access failed; <see cref="Error"/> says why.</summary>
public sealed class MonitorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MonitorException()
        : this(MonitorError.InvalidOperation, "The monitor call failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public MonitorException(string message)
        : this(MonitorError.InvalidOperation, message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public MonitorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = MonitorError.InvalidOperation;
    }

    /// <summary>Creates the exception for a detailed error.</summary>
    /// <param name="error">The detailed error.</param>
    /// <param name="message">What went wrong, for people.</param>
    public MonitorException(MonitorError error, string message)
        : base($"{error}: {message}")
    {
        Error = error;
    }

    /// <summary>The detailed error.</summary>
    public MonitorError Error { get; }

    /// <summary>The status the wire carries for this error (always <see cref="MonitorStatus.Failure"/>).</summary>
    public MonitorStatus WireStatus => MonitorErrors.ToWireStatus(Error);
}

/// <summary>Helpers over <see cref="MonitorError"/>.</summary>
public static class MonitorErrors
{
    /// <summary>The wire status of a detailed error: 0 for <see cref="MonitorError.None"/>, 1 otherwise.</summary>
    /// <param name="error">The detailed error.</param>
    /// <returns>The status on the wire.</returns>
    public static MonitorStatus ToWireStatus(MonitorError error) =>
        error == MonitorError.None ? MonitorStatus.Success : MonitorStatus.Failure;

    /// <summary>Throws a <see cref="MonitorException"/> unless <paramref name="error"/> is <see cref="MonitorError.None"/>.</summary>
    /// <param name="error">The detailed error.</param>
    /// <param name="operation">The operation, for the message.</param>
    public static void ThrowIfFailed(MonitorError error, string operation)
    {
        if (error != MonitorError.None)
        {
            throw new MonitorException(error, $"{operation} failed.");
        }
    }
}
