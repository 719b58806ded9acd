pub mod haproxy;
pub mod nginx;
pub mod postgres;
pub mod smtp;
