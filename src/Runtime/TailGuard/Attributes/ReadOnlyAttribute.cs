using System;

namespace TailGuard;

/// <summary>
/// Marks a method of a replicated <see cref="R2P2ServiceAttribute"/> interface as having no side effects. Its calls
/// travel with the routing policy <see cref="R2P2.RoutingPolicy.ReplicatedReadOnly"/>: they are still ordered by the
/// replicated log (so a read sees every write acknowledged before it started), but only the one replica chosen to
/// answer runs them. A replica refuses a read-only call that names a method without this attribute, so a read-only
/// request can never change one replica's state alone. See <c>docs/replication.md</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ReadOnlyAttribute : Attribute
{
}
