using System;
using TailGuard.R2P2;

namespace TailGuard;

/// <summary>
/// Gives a method of an <see cref="R2P2ServiceAttribute"/> interface a stable wire id and, optionally, its own routing
/// policy. Without it the id is a stable hash of the method name; two methods with the same id are a compile-time error.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class R2P2MethodAttribute : Attribute
{
    /// <summary>Creates the attribute with an explicit method id.</summary>
    /// <param name="id">The method id carried in every request payload; unique within the service.</param>
    public R2P2MethodAttribute(ushort id) => Id = id;

    /// <summary>The method id carried in every request payload.</summary>
    public ushort Id { get; }

    /// <summary>The routing policy for this method; when unset the service's policy applies.</summary>
    public RoutingPolicy Policy { get; set; } = RoutingPolicy.Unspecified;
}
