"""Who may use the web app when it is served off this computer: users with a password, browser
sessions and API tokens. One user today; the tables are ready for more."""
