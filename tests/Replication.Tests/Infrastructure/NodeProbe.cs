using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// What Linux says about a node process that does not answer its status query, for a failure message: its UDP
/// socket's receive queue and drop count (a flooded or unread socket), and each thread's state and CPU time (a receive
/// loop blocked, spinning or starved). Read from /proc; empty where /proc is not there.
/// </summary>
internal static class NodeProbe
{
    public static string Describe(int pid, int port)
    {
        var text = new StringBuilder();
        try
        {
            text.Append(CultureInfo.InvariantCulture, $"  pid {pid}, udp :{port}: {Socket(pid, port)}\n");
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                // stat: "tid (comm) state ... utime(14) stime(15)"; comm may hold spaces, so split after its ')'.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                text.Append(CultureInfo.InvariantCulture, $"  thread {Path.GetFileName(task)} '{name}' state {fields[0]} utime {fields[11]} stime {fields[12]} wchan {Wchan(task)}\n");
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            text.Append(CultureInfo.InvariantCulture, $"  /proc/{pid}: {error.Message}\n");
        }

        return text.ToString();
    }

    /// <summary>The socket's line of /proc/PID/net/udp (the process's own network namespace): rx queue and drops.</summary>
    private static string Socket(int pid, int port)
    {
        // Columns: sl, local address (hex IP:port), remote address, st, tx_queue:rx_queue, ..., drops (the last).
        var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var columns = File.ReadLines($"/proc/{pid}/net/udp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(c => c[1].EndsWith(hexPort, StringComparison.Ordinal));
        if (columns is null)
        {
            return "no socket";
        }

        var queues = columns[4].Split(':');
        return string.Create(CultureInfo.InvariantCulture, $"tx_queue {Convert.ToInt64(queues[0], 16)} rx_queue {Convert.ToInt64(queues[1], 16)} drops {columns[^1]}");
    }

    private static string Wchan(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "wchan"));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
