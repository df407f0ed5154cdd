using System;

namespace TailGuard.Boundary.Tests.Contracts;

/// <summary>A contract for domains on several cores: a call whose answer names its caller, and a meeting point inside the domain.</summary>
[TrustDomain]
public interface IMixer
{
    /// <summary>
    /// Writes <c>digest[i] = data[i] ^ Key(caller, sequence)</c> and returns <c>caller &lt;&lt; 40 | sequence &lt;&lt; 16 | sum(data)</c>:
    /// the caller can check that the answer is its own call's and that the result and the digest come from one reading of the data.
    /// </summary>
    long Mix(int caller, int sequence, [Bounded(64)] ReadOnlySpan<byte> data, [Bounded(64)] Span<byte> digest);

    /// <summary>Waits inside the domain (up to 10 s, or until released) until <paramref name="parties"/> calls have been inside at once; returns the most seen inside.</summary>
    int Meet(int parties);
}
