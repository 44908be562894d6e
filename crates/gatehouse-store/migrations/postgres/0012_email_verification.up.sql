-- gatehouse 0012: email verification (issue 9, item 4).
-- users.email_verified_at: when the account's current address was proven (NULL: never;
-- accounts made before this migration start unverified).
-- security_action_tokens.email: the address a verification link proves, so a link sent to
-- one address can never verify another (a change of address waits for its own link).
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
ALTER TABLE security_action_tokens ADD COLUMN email varchar(255);
