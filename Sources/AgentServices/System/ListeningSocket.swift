import AgentCore
import Glibc

/// Opens a non-blocking TCP listening socket for a `HealthListenAddress`.
enum ListeningSocket {
    /// Returns the descriptor and the port actually bound (the kernel's choice when port is 0).
    /// Errors read `health.http_listen <address>: <what went wrong>`.
    static func open(_ address: HealthListenAddress) throws(AgentSystemError) -> (fd: Int32, port: Int) {
        let context = "health.http_listen \(address)"
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw AgentSystemError.posix(context) }
        do throws(AgentSystemError) {
            // Lets a restarted agent rebind while old connections sit in TIME_WAIT. It does not let
            // two listeners share a port on Linux: a port in use still fails with EADDRINUSE.
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            try bind(fd, address, context: context)
            guard listen(fd, 64) == 0 else { throw AgentSystemError.posix(context) }
            return (fd, try boundPort(fd, context: context))
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    private static func bind(_ fd: Int32, _ address: HealthListenAddress, context: String) throws(AgentSystemError) {
        let port = UInt16(address.port).bigEndian
        let result: Int32
        switch address.family {
        case .ipv4:
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port
            guard inet_pton(AF_INET, address.host, &socketAddress.sin_addr) == 1 else {
                throw AgentSystemError("\(context): \"\(address.host)\" is not an IPv4 address")
            }
            result = withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6:
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port
            guard inet_pton(AF_INET6, address.host, &socketAddress.sin6_addr) == 1 else {
                throw AgentSystemError("\(context): \"\(address.host)\" is not an IPv6 address")
            }
            // An IPv6 listener serves IPv6 only, whatever net.ipv6.bindv6only says.
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            result = withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        guard result == 0 else { throw AgentSystemError.posix(context) }
    }

    private static func boundPort(_ fd: Int32, context: String) throws(AgentSystemError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw AgentSystemError.posix(context) }
        let family = Int32(storage.ss_family)
        let networkOrderPort: UInt16 = withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
        }
        return Int(UInt16(bigEndian: networkOrderPort))
    }
}
