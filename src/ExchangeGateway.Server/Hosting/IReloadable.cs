namespace ExchangeGateway.Server.Hosting;

/// <summary>Something loaded from files that <see cref="FileReloader"/> looks at on every tick.</summary>
internal interface IReloadable
{
    /// <summary>Loads the files again if they changed since the last look. True when a new value
    /// took effect; false when nothing changed or the new files were invalid (the last good value
    /// stays).</summary>
    bool Refresh();
}

/// <summary>Told once per tick, after every <see cref="IReloadable"/> has been refreshed, when at
/// least one of them took a new value: e.g. to re-check open streams against new trust material.</summary>
internal interface IReloadObserver
{
    void OnReloaded();
}
