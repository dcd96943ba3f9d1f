window.refly = {
    timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone
};
