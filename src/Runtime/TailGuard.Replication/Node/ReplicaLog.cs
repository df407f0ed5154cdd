using System;
using Microsoft.Extensions.Logging;

namespace TailGuard.Replication;

/// <summary>The replica's log messages (source-generated, so a disabled level costs nothing).</summary>
internal static partial class ReplicaLog
{
    [LoggerMessage(EventId = 1, Message = "replica {Self}: {Message}")]
    public static partial void Write(ILogger logger, LogLevel level, int self, string message, Exception? error);
}
