using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Afterward.AspNetCore.Tests.Dashboard;

/// <summary>
/// Headless Debian chromium driven through the system chromedriver (installed by build.sh), with a fresh profile,
/// no network access beyond what the page asks for, and waits on page state rather than sleeps.
/// </summary>
internal sealed class Browser : IDisposable
{
    private readonly string _profile = Directory.CreateTempSubdirectory("afterward-chromium-").FullName;

    public Browser()
    {
        string chromium = Find("AFTERWARD_CHROMIUM", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        string driver = Find("AFTERWARD_CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars", "--window-size=1400,2000",
            "--user-data-dir=" + _profile);
        ChromeDriverService service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public ChromeDriver Driver { get; }

    /// <summary>Waits (polling the page, 30 s at most) until <paramref name="condition"/> holds.</summary>
    public T Until<T>(Func<IWebDriver, T> condition, string what)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(30)) { PollingInterval = TimeSpan.FromMilliseconds(100), Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    public object? Script(string script, params object[] args) => Driver.ExecuteScript(script, args);

    /// <summary>Saves a PNG of the page under the test output directory and returns its path.</summary>
    public string Screenshot(string name)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // chromium may still hold a lock file for a moment; the temp directory is cleaned by the system.
        }
    }

    private static string Find(string variable, params string[] candidates)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
        {
            return configured;
        }

        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"None of {string.Join(", ", candidates)} exists; run ./build.sh test (it installs chromium and chromium-driver) or set {variable}.");
    }
}
