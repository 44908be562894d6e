-- Reverts 0005_runtime.
DROP TABLE auth_throttle;
