using System;
using System.Globalization;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// A router's placement policy: <see cref="Kind"/> and, for JBSQ(n), the bound n. Spelled on command lines as
/// <c>fixed</c>, <c>random</c>, <c>round-robin</c>, <c>jsq</c> or <c>jbsq:N</c> (<see cref="Parse"/>, <see cref="ToString"/>).
/// Requests whose header carries the FIXED policy go to the fixed server whatever the router's policy.
/// </summary>
public readonly struct RouterPolicy : IEquatable<RouterPolicy>
{
    /// <summary>The largest JBSQ bound (credits per server) a router takes.</summary>
    public const int MaxBound = 1024;

    private RouterPolicy(RouterPolicyKind kind, int bound)
    {
        Kind = kind;
        Bound = bound;
    }

    /// <summary>Every request to the fixed server.</summary>
    public static RouterPolicy Fixed => new(RouterPolicyKind.Fixed, 0);

    /// <summary>Uniformly random placement.</summary>
    public static RouterPolicy Random => new(RouterPolicyKind.Random, 0);

    /// <summary>Round-robin placement.</summary>
    public static RouterPolicy RoundRobin => new(RouterPolicyKind.RoundRobin, 0);

    /// <summary>Join-the-Shortest-Queue (by requests outstanding), no bound, no queue at the router.</summary>
    public static RouterPolicy ShortestQueue => new(RouterPolicyKind.ShortestQueue, 0);

    /// <summary>The policy's kind.</summary>
    public RouterPolicyKind Kind { get; }

    /// <summary>JBSQ's n: the most requests a server may have outstanding; 0 for the other policies.</summary>
    public int Bound { get; }

    /// <summary>Whether requests that find no free credit wait at the router (JBSQ).</summary>
    public bool QueuesAtRouter => Kind == RouterPolicyKind.BoundedShortestQueue;

    /// <summary>Join-Bounded-Shortest-Queue with <paramref name="bound"/> credits per server and one central FIFO.</summary>
    /// <param name="bound">n, from 1 to <see cref="MaxBound"/>.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is out of range.</exception>
    public static RouterPolicy BoundedShortestQueue(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bound, MaxBound);
        return new RouterPolicy(RouterPolicyKind.BoundedShortestQueue, bound);
    }

    /// <summary>Parses <c>fixed</c>, <c>random</c>, <c>round-robin</c> (or <c>rr</c>), <c>jsq</c> or <c>jbsq:N</c>.</summary>
    /// <param name="text">The policy's name.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="FormatException">The text names no policy; the message lists the ones there are.</exception>
    public static RouterPolicy Parse(string text)
        => TryParse(text, out var policy, out var error) ? policy : throw new FormatException(error);

    /// <summary>Parses a policy's name without throwing.</summary>
    /// <param name="text">The policy's name.</param>
    /// <param name="policy">The policy, when the text names one.</param>
    /// <param name="error">Why the text names no policy, when it does not.</param>
    /// <returns>Whether the text names a policy.</returns>
    public static bool TryParse(string? text, out RouterPolicy policy, out string? error)
    {
        policy = default;
        error = null;
        var name = text?.Trim().ToLowerInvariant() ?? string.Empty;
        switch (name)
        {
            case "fixed":
                policy = Fixed;
                return true;
            case "random":
                policy = Random;
                return true;
            case "round-robin" or "rr":
                policy = RoundRobin;
                return true;
            case "jsq":
                policy = ShortestQueue;
                return true;
        }

        if (name.StartsWith("jbsq", StringComparison.Ordinal))
        {
            var bound = name.Length > 5 && name[4] == ':' ? name[5..] : null;
            if (bound is not null && int.TryParse(bound, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxBound)
            {
                policy = BoundedShortestQueue(n);
                return true;
            }

            error = $"'{text}': JBSQ needs its bound, the credits per server, as jbsq:N with N from 1 to {MaxBound} (for example jbsq:2).";
            return false;
        }

        error = $"'{text}' is not a router policy; use fixed, random, round-robin, jsq or jbsq:N.";
        return false;
    }

    /// <summary>The policy as <see cref="Parse"/> reads it: <c>jbsq:2</c>, <c>round-robin</c>, ...</summary>
    /// <returns>The name.</returns>
    public override string ToString() => Kind switch
    {
        RouterPolicyKind.Fixed => "fixed",
        RouterPolicyKind.Random => "random",
        RouterPolicyKind.RoundRobin => "round-robin",
        RouterPolicyKind.ShortestQueue => "jsq",
        _ => string.Create(CultureInfo.InvariantCulture, $"jbsq:{Bound}"),
    };

    /// <inheritdoc/>
    public bool Equals(RouterPolicy other) => Kind == other.Kind && Bound == other.Bound;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RouterPolicy other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Bound);

    /// <summary>Compares two policies.</summary>
    /// <param name="left">One policy.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they are the same policy.</returns>
    public static bool operator ==(RouterPolicy left, RouterPolicy right) => left.Equals(right);

    /// <summary>Compares two policies.</summary>
    /// <param name="left">One policy.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(RouterPolicy left, RouterPolicy right) => !left.Equals(right);
}
