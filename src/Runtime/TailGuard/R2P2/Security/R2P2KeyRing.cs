using System;
using System.Collections.Generic;
using System.Threading;

namespace TailGuard.R2P2.Security;

/// <summary>
/// The keys a server in authenticated mode accepts, by id: one per client (<see cref="R2P2ServerOptions.AuthenticationKeys"/>).
/// Keys may be added and removed while the server runs (rotation: add the new key, move the client to it, remove the
/// old one); a request under a removed key is dropped from then on. Thread-safe; lookups take no lock.
/// </summary>
public sealed class R2P2KeyRing
{
    private readonly object _sync = new();
    private Dictionary<uint, R2P2Key> _keys;
    private int _version;

    /// <summary>Creates a ring.</summary>
    /// <param name="keys">The keys, with distinct ids.</param>
    /// <exception cref="ArgumentException">Two keys share an id.</exception>
    public R2P2KeyRing(IEnumerable<R2P2Key> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var map = new Dictionary<uint, R2P2Key>();
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(keys));
            if (!map.TryAdd(key.Id, key))
            {
                throw new ArgumentException($"Two keys have the id {key.Id}.", nameof(keys));
            }
        }

        _keys = map;
    }

    /// <inheritdoc cref="R2P2KeyRing(IEnumerable{R2P2Key})"/>
    public R2P2KeyRing(params R2P2Key[] keys)
        : this((IEnumerable<R2P2Key>)keys)
    {
    }

    /// <summary>How many keys the ring holds.</summary>
    public int Count => Volatile.Read(ref _keys).Count;

    /// <summary>Changes whenever a key is added or removed (caches of per-key state compare it).</summary>
    internal int Version => Volatile.Read(ref _version);

    /// <summary>Adds a key.</summary>
    /// <param name="key">The key; its id must be new to the ring.</param>
    /// <returns>False when the ring already has a key with that id (nothing changes).</returns>
    public bool TryAdd(R2P2Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_sync)
        {
            if (_keys.ContainsKey(key.Id))
            {
                return false;
            }

            var next = new Dictionary<uint, R2P2Key>(_keys) { [key.Id] = key };
            Publish(next);
            return true;
        }
    }

    /// <summary>Removes the key with an id.</summary>
    /// <param name="id">The key id.</param>
    /// <returns>Whether the ring had it.</returns>
    public bool Remove(uint id)
    {
        lock (_sync)
        {
            if (!_keys.ContainsKey(id))
            {
                return false;
            }

            var next = new Dictionary<uint, R2P2Key>(_keys);
            next.Remove(id);
            Publish(next);
            return true;
        }
    }

    /// <summary>Looks a key up by id.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="key">The key.</param>
    /// <returns>Whether the ring has it.</returns>
    public bool TryGet(uint id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out R2P2Key? key) => Volatile.Read(ref _keys).TryGetValue(id, out key);

    private void Publish(Dictionary<uint, R2P2Key> next)
    {
        Volatile.Write(ref _keys, next);
        Interlocked.Increment(ref _version);
    }
}
