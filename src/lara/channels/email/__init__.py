"""E-mail: a support mailbox polled over IMAP, answered over SMTP in the same thread."""
