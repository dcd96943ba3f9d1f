window.refly = {
    timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    // The app bar's dark-mode toggle, remembered per browser; none stored means "follow the system".
    colorScheme: {
        get: () => {
            try { return localStorage.getItem('refly-color-scheme'); } catch { return null; }
        },
        set: (value) => {
            try { localStorage.setItem('refly-color-scheme', value); } catch { /* private mode: not remembered */ }
            // The static sign-in pages render on the server: they read the choice from this cookie.
            document.cookie = 'refly-color-scheme=' + encodeURIComponent(value) + '; path=/; max-age=31536000; samesite=lax';
        }
    }
};
