namespace TailGuard.Tyche.Driver;

/// <summary>errno values as names in messages (Linux numbering).</summary>
internal static class Errno
{
    public static string Name(int errno) => errno switch
    {
        0 => "no errno",
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        9 => "EBADF",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        19 => "ENODEV",
        22 => "EINVAL",
        25 => "ENOTTY",
        _ => $"errno {errno}",
    } + (errno is > 0 and <= 25 ? $" ({errno})" : string.Empty);
}
