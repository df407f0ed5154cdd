using System;
using System.IO;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// The <c>--data</c> folder of <c>cluster node</c> and <c>cluster start</c>, made before any node starts: a path that
/// cannot hold a node's data is refused in the option's name, not by the Raft log deep inside a node's start.
/// </summary>
internal static class DataDirectory
{
    /// <summary>The full path of <paramref name="path"/>, a folder that exists once this returns.</summary>
    public static string Prepare(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw ToolException.Usage($"--data: '{path}' is a file, not a folder");
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ToolException($"--data: cannot make the folder '{path}': {error.Message}", error);
        }

        return full;
    }
}
