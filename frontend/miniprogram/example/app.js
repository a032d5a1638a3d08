// The example mini program: one page, whose shop component does everything through wxgate's kit.
App({});
